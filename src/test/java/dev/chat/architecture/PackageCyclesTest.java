package dev.chat.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No two packages of the chat depend on each other, directly or around a loop: the JDK's jdeps
 * reads the compiled classes, and any cycle it shows is named. (A package cycle is a design bug:
 * the README's dependency line says which way each one points.)
 */
@Timeout(60)
class PackageCyclesTest {
    private static final Pattern EDGE = Pattern.compile("^\\s+(dev\\.chat\\.[a-z.]+)\\s+->\\s+(dev\\.chat\\.[a-z.]+)\\s");

    @Test
    void theChatsPackagesFormNoCycle() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "-verbose:package", "-e", "dev\\.chat\\..*",
                Path.of("target/classes").toString());
        assertEquals(0, rc, out::toString);
        Map<String, Set<String>> uses = new HashMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                uses.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        assertTrue(uses.containsKey("dev.chat.room"), "jdeps saw the packages: " + uses);
        List<String> cycles = new ArrayList<>();
        for (String start : uses.keySet()) {
            findCycle(start, start, new ArrayList<>(List.of(start)), new HashSet<>(), uses, cycles);
        }
        assertEquals(List.of(), cycles);
    }

    private static void findCycle(String start, String at, List<String> path, Set<String> seen, Map<String, Set<String>> uses,
                                  List<String> cycles) {
        for (String next : uses.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                cycles.add(String.join(" -> ", path) + " -> " + start);
            } else if (seen.add(next)) {
                path.add(next);
                findCycle(start, next, path, seen, uses, cycles);
                path.remove(path.size() - 1);
            }
        }
    }
}
