package dev.chat.ws;

import dev.chat.protocol.ClientFrame;
import dev.chat.protocol.EncodedFrame;
import dev.chat.protocol.ProtocolCodec;
import jakarta.websocket.Decoder;
import jakarta.websocket.EndpointConfig;

/**
 * The endpoint's text decoder: delegates to {@link ProtocolCodec} and never rejects a frame, so an
 * invalid one gets an error reply on every runtime. It also enforces {@code CHAT_MAX_FRAME_BYTES}
 * exactly: runtimes check the limit set on the session unevenly (Tyrus only for fragmented
 * messages), and a frame over it decodes to {@link ClientFrame.TooBig}, which closes with 1009.
 */
public final class ClientFrameDecoder implements Decoder.Text<ClientFrame> {
    private int maxFrameBytes = Integer.MAX_VALUE;

    /** The limit is the running node's; read once per decoder, which holds no other state. */
    @Override
    public void init(EndpointConfig config) {
        maxFrameBytes = ChatConfigurator.app().config().maxFrameBytes();
    }

    @Override
    public ClientFrame decode(String text) {
        // chars bound UTF-8 bytes from below: only a frame that might be too big is measured
        if (text.length() > maxFrameBytes / 3) {
            int bytes = EncodedFrame.utf8Length(text);
            if (bytes > maxFrameBytes) {
                return new ClientFrame.TooBig(bytes);
            }
        }
        return ProtocolCodec.decode(text);
    }

    /** Always true: an invalid frame decodes to {@link ClientFrame.Invalid} and gets an error reply. */
    @Override
    public boolean willDecode(String text) {
        return true;
    }
}
