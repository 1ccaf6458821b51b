package dev.chat.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The WAR carries the app and its own libraries, and nothing a Jakarta EE 10 server provides. */
@Timeout(30)
class WarContentsIT {
    private static final Path WAR = Path.of(System.getProperty("chat.war", "target/chat.war"));

    private static List<String> entries() throws Exception {
        try (ZipFile zip = new ZipFile(WAR.toFile())) {
            return zip.stream().map(ZipEntry::getName).toList();
        }
    }

    @Test
    void webInfLibHoldsOnlyTheAppsOwnLibraries() throws Exception {
        List<String> libs = entries().stream()
                .filter(e -> e.startsWith("WEB-INF/lib/") && e.endsWith(".jar"))
                .map(e -> e.substring("WEB-INF/lib/".length()))
                .toList();
        for (String lib : libs) {
            assertTrue(!lib.startsWith("jakarta.") && !lib.startsWith("tyrus-") && !lib.startsWith("grizzly-")
                    && !lib.startsWith("yasson-") && !lib.startsWith("parsson-"), "provided by the server: " + lib);
        }
        assertTrue(libs.stream().anyMatch(l -> l.startsWith("nimbus-jose-jwt-")), "the JWT library ships: " + libs);
        assertTrue(libs.stream().anyMatch(l -> l.startsWith("slf4j-jdk14-")), "Jedis's logs reach JUL on Payara too: " + libs);
        assertTrue(libs.stream().noneMatch(l -> l.startsWith("microprofile-") || l.startsWith("smallrye-")),
                "MicroProfile Config is the container's: " + libs);
    }

    @Test
    void thePageIsTheWebRootAndTheEndpointIsInClasses() throws Exception {
        List<String> entries = entries();
        for (String expected : List.of("index.html", "app.js", "style.css",
                "WEB-INF/classes/dev/chat/ws/ChatEndpoint.class",
                "WEB-INF/classes/dev/chat/war/ChatWebListener.class",
                "WEB-INF/classes/dev/chat/war/ApiServlet.class")) {
            assertTrue(entries.contains(expected), "missing " + expected);
        }
    }

    @Test
    void theEmbeddedLauncherStaysOut() throws Exception {
        assertEquals(List.of(), entries().stream()
                .filter(e -> e.startsWith("WEB-INF/classes/dev/chat/embedded/") || e.startsWith("WEB-INF/classes/webapp/"))
                .toList());
    }
}
