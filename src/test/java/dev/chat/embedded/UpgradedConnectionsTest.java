package dev.chat.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ConnectionProbe;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.http.HttpServerFilter;
import org.junit.jupiter.api.Test;

/**
 * An upgraded connection of the jar keeps no HTTP request, and its frames still arrive; and the
 * attributes {@link UpgradedConnections} reads are the ones Tyrus's Grizzly filter sets (if a Tyrus
 * upgrade renamed them, the filter would silently stand aside and the requests would stay).
 */
class UpgradedConnectionsTest {

    private static String tyrusAttributeName(String field) throws ReflectiveOperationException {
        Class<?> filter = Class.forName("org.glassfish.tyrus.container.grizzly.server.GrizzlyServerFilter");
        Field f = filter.getDeclaredField(field);
        f.setAccessible(true);
        return ((Attribute<?>) f.get(null)).name();
    }

    @Test
    void readsTheConnectionAttributeTyrusSets() throws ReflectiveOperationException {
        assertEquals(tyrusAttributeName("TYRUS_CONNECTION"), UpgradedConnections.TYRUS_CONNECTION.name());
    }

    @Test
    void readsTheTaskProcessorAttributeTyrusSets() throws ReflectiveOperationException {
        assertEquals(tyrusAttributeName("TASK_PROCESSOR"), UpgradedConnections.TASK_PROCESSOR.name());
    }

    @Test
    void anUpgradedConnectionHoldsNoHttpRequestAndItsFramesStillArrive() throws Exception {
        Attribute<Object> request = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(HttpServerFilter.HTTP_SERVER_REQUEST_ATTR_NAME);
        try (TestServer server = TestServer.start()) {
            Set<Connection<?>> accepted = ConcurrentHashMap.newKeySet();
            // a connection copies the transport's probes when it is accepted, so this sees the next ones
            server.server().transport().getConnectionMonitoringConfig().addProbes(new ConnectionProbe.Adapter() {
                @Override
                public void onReadEvent(Connection connection, Buffer data, int size) {
                    accepted.add(connection);
                }
            });
            String token = server.token("up-1"); // an HTTP request on a connection of its own
            try (WsClient client = server.client(token)) {
                client.join("upgraded"); // a frame in, its answer out, through the filter
                List<Connection<?>> upgraded = accepted.stream().filter(c -> UpgradedConnections.TYRUS_CONNECTION.get(c) != null).toList();
                assertEquals(1, upgraded.size(), "the WebSocket among " + accepted.size() + " connections");
                assertNull(request.get(upgraded.get(0)), "the upgrade request is let go");
                assertNotNull(UpgradedConnections.TASK_PROCESSOR.get(upgraded.get(0)));
                assertEquals(1L, client.say("upgraded", "still here"), "the room's first message, acked");
            }
        }
    }
}
