package dev.chat.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.protocol.ClientFrame;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestDispatcherTest {
    @Test
    void aClientFrameTypeWithoutARouteIsNamed() {
        Set<Class<?>> routed = new HashSet<>(List.of(ClientFrame.class.getPermittedSubclasses()));
        routed.remove(ClientFrame.Leave.class);
        assertEquals(List.of("Leave"), RequestDispatcher.unrouted(routed));
    }

    @Test
    void theDispatcherRoutesEveryClientFrameType() {
        // the constructor throws when one lacks a route; it needs none of its collaborators to decide
        new RequestDispatcher(null, null, null, null, null, null, null);
    }
}
