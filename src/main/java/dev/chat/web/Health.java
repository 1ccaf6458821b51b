package dev.chat.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The node's health checks, each of one of MicroProfile Health's kinds, and the answers of
 * {@code health/live}, {@code health/ready}, {@code health/started} and {@code health} (every
 * check) in its JSON shape: {@code {"status":"UP"|"DOWN","checks":[{"name","status","data"}]}},
 * DOWN as soon as one check of the answer is. Every check is read afresh on each request, on the
 * caller's thread: a check must be a volatile read, never I/O, so a probe never waits on an outage.
 */
public final class Health {
    /** MicroProfile Health's kinds of check, by the path that answers them. */
    public enum Kind {
        /** The process serves at all; DOWN means restart it. */
        LIVENESS("live"),
        /** The node should get new clients; DOWN means route them elsewhere (draining, an outage). */
        READINESS("ready"),
        /** The node has finished starting; until then the other probes are not asked. */
        STARTUP("started");

        private final String path;

        Kind(String path) {
            this.path = path;
        }

        /** The path below {@code health/} that answers this kind. */
        public String path() {
            return path;
        }
    }

    /**
     * One named check.
     *
     * @param up   whether it passes; a volatile read, never I/O
     * @param data what an operator wants beside the status (no secrets: the endpoint may be public)
     */
    public record Check(String name, Kind kind, BooleanSupplier up, Supplier<Map<String, Object>> data) {
        public Check(String name, Kind kind, BooleanSupplier up) {
            this(name, kind, up, Map::of);
        }
    }

    /** An answer: its HTTP status (200 when UP, 503 when DOWN) and its body as JSON-ready maps and lists. */
    public record Answer(int status, Map<String, Object> body) { }

    private final List<Check> checks;

    public Health(List<Check> checks) {
        this.checks = List.copyOf(checks);
    }

    /** The answer over the checks of {@code kind}, or of every check when {@code kind} is null ({@code health}). */
    public Answer answer(Kind kind) {
        List<Map<String, Object>> results = new ArrayList<>();
        boolean up = true;
        for (Check check : checks) {
            if (kind == null || check.kind() == kind) {
                boolean passes = check.up().getAsBoolean();
                up &= passes;
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("name", check.name());
                result.put("status", status(passes));
                result.put("data", check.data().get());
                results.add(result);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status(up));
        body.put("checks", results);
        return new Answer(up ? 200 : 503, body);
    }

    /** The kind a path below {@code health/} names ({@code "ready"}), or null for none. */
    public static Kind kind(String path) {
        for (Kind kind : Kind.values()) {
            if (kind.path().equals(path)) {
                return kind;
            }
        }
        return null;
    }

    /** The checks, for a runtime that also registers them with its container's own health endpoint. */
    public List<Check> checks() {
        return checks;
    }

    private static String status(boolean up) {
        return up ? "UP" : "DOWN";
    }
}
