package dev.chat.connection;

import dev.chat.protocol.CloseCode;
import java.util.function.Consumer;

/**
 * The transport under one connection: the WebSocket session's async remote in production
 * ({@link SessionSink}). Only the connection's {@link Outbox} calls {@link #sendText}, one call at a time.
 */
public interface FrameSink {

    /** Starts an asynchronous text send; {@code done} gets null on success or the failure. */
    void sendText(String text, Consumer<Throwable> done);

    /** Sends a ping; called only while no text send is in flight. */
    void sendPing();

    /** Closes the transport with a code from the table; safe to call more than once. */
    void close(CloseCode code);
}
