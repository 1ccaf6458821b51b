package dev.chat.ws;

import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import jakarta.websocket.Encoder;

/**
 * The endpoint's encoder: stateless, delegates to {@link ProtocolCodec}. Registered so that
 * {@code sendObject(ServerFrame)} works on every runtime; the chat's own writes go through the
 * connection's outbox, which encodes with the same codec once per frame (once per broadcast).
 */
public final class ServerFrameEncoder implements Encoder.Text<ServerFrame> {

    @Override
    public String encode(ServerFrame frame) {
        return ProtocolCodec.encode(frame).json();
    }
}
