package dev.chat.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads settings by their name ({@code CHAT_PORT}) from a {@link Settings} source, and collects
 * every problem instead of stopping at the first, so an operator fixes a bad start in one go.
 */
final class SettingsReader {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(KiB|MiB|GiB)?");

    private final Settings settings;
    private final List<String> problems = new ArrayList<>();

    SettingsReader(Settings settings) {
        this.settings = settings;
    }

    /** The raw value, or null when the setting is absent or blank. */
    String raw(String name) {
        String value = settings.value(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Whether the setting is there at all, blank included (where blank means "none" rather than "the default"). */
    boolean present(String name) {
        return settings.value(name) != null;
    }

    String string(String name, String fallback) {
        String value = raw(name);
        return value == null ? fallback : value;
    }

    int integer(String name, int fallback, int min, int max) {
        String value = raw(name);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the accepted range
        }
        problem(name, value, "an integer from " + min + " to " + max);
        return fallback;
    }

    boolean bool(String name, boolean fallback) {
        String value = raw(name);
        if (value == null) {
            return fallback;
        }
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1": return true;
            case "false": case "no": case "off": case "0": return false;
            default:
                problem(name, value, "true or false");
                return fallback;
        }
    }

    /** A duration such as {@code 500ms}, {@code 25s}, {@code 10m}, {@code 1h}; a bare number is seconds. */
    Duration duration(String name, Duration fallback, Duration min) {
        String value = raw(name);
        if (value == null) {
            return fallback;
        }
        Matcher m = DURATION.matcher(value);
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                Duration d = switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofSeconds(n);
                };
                if (d.compareTo(min) >= 0) {
                    return d;
                }
            } catch (NumberFormatException | ArithmeticException ignored) {
                // reported below
            }
        }
        problem(name, value, "a duration of at least " + min.toMillis() + "ms (e.g. 500ms, 25s, 10m, 90d)");
        return fallback;
    }

    /** A size in bytes, or with a unit: {@code 64KiB}, {@code 1MiB}. */
    int size(String name, int fallback, int min, int max) {
        String value = raw(name);
        if (value == null) {
            return fallback;
        }
        Matcher m = SIZE.matcher(value);
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                long factor = m.group(2) == null ? 1 : switch (m.group(2)) {
                    case "KiB" -> 1024L;
                    case "MiB" -> 1024L * 1024;
                    default -> 1024L * 1024 * 1024;
                };
                long bytes = Math.multiplyExact(n, factor);
                if (bytes >= min && bytes <= max) {
                    return (int) bytes;
                }
            } catch (NumberFormatException | ArithmeticException ignored) {
                // reported below
            }
        }
        problem(name, value, "a size from " + min + " to " + max + " bytes (e.g. 65536, 64KiB, 1MiB)");
        return fallback;
    }

    void problem(String name, String value, String expected) {
        problems.add(name + "=" + value + " is invalid: expected " + expected);
    }

    void problem(String message) {
        problems.add(message);
    }

    List<String> problems() {
        return problems;
    }
}
