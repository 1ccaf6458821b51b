package dev.chat.embedded;

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
 * <p>Tyrus keeps the connection and its task processor in named Grizzly attributes, and Grizzly's
 * codec the request; asking for an attribute by its name returns the same one. The names are those
 * of Tyrus 2.1.6 and Grizzly 4.0; {@code UpgradedConnectionsTest} checks them against Tyrus's own
 * fields. Were they to move anyway, this filter would find no connection and stand aside (the
 * memory comes back, which the idle benchmark shows).
 */
final class UpgradedConnections implements AddOn {
    /** Named after Tyrus's package-private {@code GrizzlyServerFilter}, which sets it on a successful upgrade. */
    static final Attribute<org.glassfish.tyrus.spi.Connection> TYRUS_CONNECTION =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(
                    "org.glassfish.tyrus.container.grizzly.server.GrizzlyServerFilter.Connection");
    static final Attribute<TaskProcessor> TASK_PROCESSOR =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(TaskProcessor.class.getName() + ".TaskProcessor");
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
                    ReadHandler reader = tyrus.getReadHandler();
                    if (!buffer.isComposite()) {
                        tasks.processTask(new Read(buffer.toByteBuffer(), reader));
                    } else {
                        ByteBufferArray parts = buffer.toByteBufferArray();
                        ByteBuffer[] array = parts.getArray();
                        for (int i = 0; i < parts.size(); i++) {
                            tasks.processTask(new Read(array[i], reader));
                        }
                        parts.recycle();
                    }
                }
                return ctx.getStopAction();
            }
        });
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
