package dev.chat.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import org.glassfish.grizzly.attributes.Attribute;
import org.junit.jupiter.api.Test;

/**
 * The attributes {@link UpgradedConnections} reads are the ones Tyrus's Grizzly filter sets: if a
 * Tyrus upgrade renamed them, the filter would silently stand aside and idle connections would
 * keep their upgrade requests again. (That frames flow through it is what every test against the
 * jar exercises.)
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
}
