package dev.chat.embedded;

import dev.chat.auth.ClientAddress;
import dev.chat.auth.HandshakePeers;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.CloseCode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import dev.chat.connection.CappedCounts;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpRequestPacket;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServerFilter;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.memory.Buffers;

/**
 * Caps the TCP connections of one peer address ({@code CHAT_MAX_CONNECTIONS_PER_ADDRESS}), whatever
 * they carry: HTTP requests, kept-alive or idle sockets, WebSockets. A connection over the cap is
 * answered {@code 429} at once, before it has sent anything (so the answer is the same for a page, an
 * API call and a WebSocket handshake, and no HTTP parsing is spent on it), and closed; its bytes are
 * dropped unread. The count goes down when a connection closes, however it closes. A peer that is a
 * trusted proxy ({@code CHAT_TRUSTED_PROXIES}) is not capped here: its connections are many
 * clients'; their WebSockets are counted per client by {@code Connections} (4006).
 *
 * <p>It also leaves each WebSocket handshake's peer in {@link HandshakePeers}, under the request's
 * {@code Sec-WebSocket-Key}, where the configurator, which the standard API tells no address, finds
 * it for the handshake rate (4007) and the per-address cap on WebSockets.
 *
 * <p>Threads: Grizzly's selector threads (accepts, closes) and workers (requests); the count per
 * address is atomic, and an entry lives only while its address has a connection, so the table is
 * bounded by the connections themselves.
 */
final class AddressCaps implements AddOn {
    private static final Attribute<Boolean> REFUSED =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(AddressCaps.class.getName() + ".refused");
    /** A client that honours it comes back when some of its connections have ended; a second is enough to matter. */
    static final String RETRY_AFTER_SECONDS = "1";
    private static final byte[] TOO_MANY = tooMany();

    private final ClientAddress addresses;
    private final HandshakePeers peers;
    private final ChatMetrics metrics;
    private final CappedCounts open;

    AddressCaps(int maxPerAddress, ClientAddress addresses, HandshakePeers peers, ChatMetrics metrics) {
        this.open = new CappedCounts(maxPerAddress);
        this.addresses = addresses;
        this.peers = peers;
        this.metrics = metrics;
    }

    private static byte[] tooMany() {
        String body = "{\"error\":\"too many connections from this address\"}";
        return ("HTTP/1.1 429 Too Many Requests\r\n"
                + "Content-Type: application/json; charset=utf-8\r\n"
                + "Content-Length: " + body.length() + "\r\n"
                + "Retry-After: " + RETRY_AFTER_SECONDS + "\r\n"
                + "Cache-Control: no-store\r\n"
                + "Connection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        // right above the transport: every accept and read passes here first, before any HTTP parsing
        builder.add(builder.indexOfType(TransportFilter.class) + 1, new BaseFilter() {
            @Override
            public NextAction handleAccept(FilterChainContext ctx) {
                return admit(ctx);
            }

            @Override
            public NextAction handleRead(FilterChainContext ctx) {
                // a refused connection's request is dropped: it is answered and closing already
                return REFUSED.isSet(ctx.getConnection()) ? ctx.getStopAction() : ctx.getInvokeAction();
            }
        });
        // just below Tyrus's filter, which WebSocketAddOn put right below the HTTP server's
        builder.add(builder.indexOfType(HttpServerFilter.class) - 1, new BaseFilter() {
            @Override
            public NextAction handleRead(FilterChainContext ctx) {
                if (ctx.getMessage() instanceof HttpContent content
                        && content.getHttpHeader() instanceof HttpRequestPacket request && request.isUpgrade()) {
                    peers.record(request.getHeader("Sec-WebSocket-Key"), peer(ctx.getConnection()));
                }
                return ctx.getInvokeAction();
            }
        });
    }

    private NextAction admit(FilterChainContext ctx) {
        Connection<?> connection = ctx.getConnection();
        String peer = peer(connection);
        if (peer == null || addresses.trusted(peer)) {
            return ctx.getInvokeAction();
        }
        if (open.acquire(peer)) {
            connection.addCloseListener((closed, type) -> open.release(peer));
            return ctx.getInvokeAction();
        }
        REFUSED.set(connection, Boolean.TRUE);
        metrics.limitHit(CloseCode.TOO_MANY_ADDRESS_CONNECTIONS.label());
        Buffer answer = Buffers.wrap(connection.getMemoryManager(), TOO_MANY);
        ctx.write(answer, new EmptyCompletionHandler<WriteResult>() {
            @Override
            public void completed(WriteResult result) {
                connection.closeSilently();
            }

            @Override
            public void failed(Throwable error) {
                connection.closeSilently();
            }
        });
        return ctx.getStopAction(); // the HTTP filters above never hear of it: no header deadline to arm
    }

    private static String peer(Connection<?> connection) {
        return connection.getPeerAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : null;
    }
}
