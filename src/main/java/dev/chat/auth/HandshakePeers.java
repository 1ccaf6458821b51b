package dev.chat.auth;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Hands a WebSocket handshake's TCP peer address from the runtime adapter, which sees it (the jar's
 * Grizzly filter, the WAR's request listener), to the configurator, which does not: the standard
 * {@code HandshakeRequest} has no remote address. The key is the handshake's
 * {@code Sec-WebSocket-Key}, which both see; it is a random nonce of the client's, so a client can
 * only ever collide with its own handshakes.
 *
 * <p>An entry is not removed when read (a client that reuses one key for many handshakes at once
 * must still have each counted), but lives {@link #TTL_NANOS} and is overwritten by the next
 * handshake with its key. At most {@link #MAX_ENTRIES}: when full, expired entries are swept, and
 * if it is still full the oldest-looking are dropped (such a handshake then has no known address,
 * and is limited by the node's and the user's caps only). Thread-safe.
 */
public final class HandshakePeers {
    /** The container calls the configurator within milliseconds of the request; this is for a loaded node. */
    static final long TTL_NANOS = 10_000_000_000L;
    /** An entry is a key, an address and a long: a full table is a few MiB. */
    static final int MAX_ENTRIES = 100_000;

    private record Peer(String address, long at) { }

    private final Map<String, Peer> table = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    public HandshakePeers(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** A handshake with {@code secWebSocketKey} came from {@code peer}; either may be null (then nothing is kept). */
    public void record(String secWebSocketKey, String peer) {
        if (secWebSocketKey == null || peer == null || secWebSocketKey.length() > 64) {
            return; // a valid key is 24 characters; a longer one gets no upgrade anyway
        }
        long now = nanoClock.getAsLong();
        if (table.size() >= MAX_ENTRIES && !table.containsKey(secWebSocketKey)) {
            makeRoom(now);
        }
        table.put(secWebSocketKey, new Peer(peer, now));
    }

    /** The peer recorded for this key within the last {@link #TTL_NANOS}, or null. */
    public String peer(String secWebSocketKey) {
        if (secWebSocketKey == null) {
            return null;
        }
        Peer p = table.get(secWebSocketKey);
        return p == null || nanoClock.getAsLong() - p.at() > TTL_NANOS ? null : p.address();
    }

    int size() {
        return table.size();
    }

    private void makeRoom(long now) {
        table.values().removeIf(p -> now - p.at() > TTL_NANOS);
        Iterator<Peer> it = table.values().iterator();
        for (int i = table.size() - MAX_ENTRIES + MAX_ENTRIES / 10; i > 0 && it.hasNext(); i--) {
            it.next();
            it.remove();
        }
    }
}
