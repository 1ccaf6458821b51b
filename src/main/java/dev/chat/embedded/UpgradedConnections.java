package dev.chat.embedded;

import jakarta.websocket.CloseReason;
import java.nio.ByteBuffer;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpServerFilter;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.memory.ByteBufferArray;
import org.glassfish.tyrus.container.grizzly.client.TaskProcessor;
import org.glassfish.tyrus.spi.ReadHandler;

/**
 * Frees the HTTP request of each upgrade once its WebSocket runs. Grizzly's HTTP codec keeps the
 * upgrade request for the connection's whole life, because it passes every later byte on as that
 * request's content; its header objects and buffers were about half the live heap of an idle
 * connection (README "Benchmarks", idle). Just below the codec, this filter hands an upgraded
 * connection's bytes to Tyrus's read handler itself, on Tyrus's task processor for that
 * connection (what Tyrus's own Grizzly filter does with them), so the codec never needs the
 * request again, and drops it as soon as the pass that upgraded the connection is complete (the
 * 101 is encoded by then). Closes still go through the codec, which finds no request, and Tyrus's
 * filter, unchanged.
 *
 * <p>On the way it closes, with 1002, a connection that sends a frame without a mask (RFC 6455
 * §5.1), which Tyrus would serve ({@link MaskedFrames}).
 *
 * <p>Tyrus keeps the connection and its task processor in named Grizzly attributes, and Grizzly's
 * codec the request; asking for an attribute by its name returns the same one. The names are those
 * of Tyrus 2.1.6 and Grizzly 4.0; {@code UpgradedConnectionsTest} checks them against Tyrus's own
 * fields. Were they to move anyway, this filter would find no connection and stand aside (the
 * memory comes back, which the idle benchmark shows, and unmasked frames would be served again,
 * which {@code UnmaskedFrameTest} shows).
 */
final class UpgradedConnections implements AddOn {
    /** Named after Tyrus's package-private {@code GrizzlyServerFilter}, which sets it on a successful upgrade. */
    static final Attribute<org.glassfish.tyrus.spi.Connection> TYRUS_CONNECTION =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(
                    "org.glassfish.tyrus.container.grizzly.server.GrizzlyServerFilter.Connection");
    static final Attribute<TaskProcessor> TASK_PROCESSOR =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(TaskProcessor.class.getName() + ".TaskProcessor");
    /** Where each upgraded connection's frame headers stand, for the mask check ({@link MaskedFrames}). */
    private static final Attribute<MaskedFrames> MASKS =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(MaskedFrames.class.getName());
    private static final Attribute<Object> HTTP_REQUEST =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(HttpServerFilter.HTTP_SERVER_REQUEST_ATTR_NAME);

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        // right below the HTTP codec: after the transport and anything that must see every read
        // (TLS), before the codec that would hold the request (and the idle-timeout filter above
        // it, which so never sees a WebSocket read: HttpTimeouts)
        builder.add(builder.indexOfType(HttpServerFilter.class), new BaseFilter() {
            @Override
            public NextAction handleRead(FilterChainContext ctx) {
                Connection<?> connection = ctx.getConnection();
                org.glassfish.tyrus.spi.Connection tyrus = TYRUS_CONNECTION.get(connection);
                if (tyrus == null) {
                    // HTTP, or the handshake: once Tyrus has upgraded the connection in this pass
                    // (and the 101 has been encoded), its request is of no more use to anyone
                    ctx.addCompletionListener(done -> {
                        if (TYRUS_CONNECTION.get(connection) != null) {
                            HTTP_REQUEST.remove(connection);
                        }
                    });
                    return ctx.getInvokeAction();
                }
                TaskProcessor tasks = TASK_PROCESSOR.get(connection);
                if (tasks == null) {
                    return ctx.getStopAction(); // Tyrus's close is taking the connection down under us
                }
                Buffer buffer = ctx.getMessage();
                if (buffer.hasRemaining()) {
                    MaskedFrames masks = MASKS.get(connection);
                    if (masks == null) {
                        masks = new MaskedFrames();
                        MASKS.set(connection, masks);
                    }
                    ReadHandler reader = tyrus.getReadHandler();
                    if (!buffer.isComposite()) {
                        hand(buffer.toByteBuffer(), masks, reader, tyrus, tasks);
                    } else {
                        ByteBufferArray parts = buffer.toByteBufferArray();
                        ByteBuffer[] array = parts.getArray();
                        for (int i = 0; i < parts.size(); i++) {
                            hand(array[i], masks, reader, tyrus, tasks);
                        }
                        parts.recycle();
                    }
                }
                return ctx.getStopAction();
            }
        });
    }

    /**
     * Hands Tyrus the bytes up to the first unmasked frame, if any, and then closes the connection
     * with 1002 in the same order as the reads, so the masked frames before it are served first.
     * Once refused, nothing more of the connection reaches Tyrus (a client's late frames, its close).
     */
    private static void hand(ByteBuffer bytes, MaskedFrames masks, ReadHandler reader,
                             org.glassfish.tyrus.spi.Connection tyrus, TaskProcessor tasks) {
        if (masks.refused()) {
            return;
        }
        int end = masks.passableEnd(bytes);
        if (end == bytes.limit()) {
            tasks.processTask(new Read(bytes, reader));
            return;
        }
        if (end > bytes.position()) {
            tasks.processTask(new Read(bytes.duplicate().limit(end), reader));
        }
        tasks.processTask(new Refuse(tyrus));
    }

    /**
     * Closes a connection that sent an unmasked frame: 1002 to the client and to the endpoint's
     * {@code @OnClose}, through Tyrus's own close (which then drops the transport without waiting
     * for the client's answer), as Tyrus closes on the protocol errors it checks itself.
     */
    private static final class Refuse extends TaskProcessor.Task {
        private final org.glassfish.tyrus.spi.Connection tyrus;

        Refuse(org.glassfish.tyrus.spi.Connection tyrus) {
            this.tyrus = tyrus;
        }

        @Override
        public void execute() {
            tyrus.close(new CloseReason(CloseReason.CloseCodes.PROTOCOL_ERROR, "unmasked frame"));
        }
    }

    /** One read, in order with the connection's other Tyrus tasks (its close among them). */
    private static final class Read extends TaskProcessor.Task {
        private final ByteBuffer bytes;
        private final ReadHandler reader;

        Read(ByteBuffer bytes, ReadHandler reader) {
            this.bytes = bytes;
            this.reader = reader;
        }

        @Override
        public void execute() {
            reader.handle(bytes);
        }
    }
}
