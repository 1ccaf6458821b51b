package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The handshake's peer, from the adapter that saw it to the configurator, by Sec-WebSocket-Key; bounded. */
@Timeout(30)
class HandshakePeersTest {
    private final AtomicLong now = new AtomicLong();
    private final HandshakePeers peers = new HandshakePeers(now::get);

    @Test
    void aRecordedPeerIsFoundByItsKeyAsOftenAsItIsAskedForUntilItExpires() {
        peers.record("key-1", "203.0.113.7");
        assertEquals("203.0.113.7", peers.peer("key-1"));
        assertEquals("203.0.113.7", peers.peer("key-1"), "a key reused for several handshakes names its peer for each");
        now.addAndGet(HandshakePeers.TTL_NANOS + 1);
        assertNull(peers.peer("key-1"));
        assertNull(peers.peer("key-2"));
        assertNull(peers.peer(null));
    }

    @Test
    void theTableStaysBounded() {
        for (int i = 0; i < HandshakePeers.MAX_ENTRIES + 1000; i++) {
            peers.record("key-" + i, "203.0.113.7");
        }
        assertTrue(peers.size() <= HandshakePeers.MAX_ENTRIES, "size " + peers.size());
        assertEquals("203.0.113.7", peers.peer("key-" + (HandshakePeers.MAX_ENTRIES + 999)));
    }
}
