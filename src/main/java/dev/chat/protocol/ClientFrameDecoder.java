package dev.chat.protocol;

import jakarta.websocket.Decoder;

/** The endpoint's text decoder: stateless, delegates to {@link ProtocolCodec}, never rejects a frame. */
public final class ClientFrameDecoder implements Decoder.Text<ClientFrame> {

    @Override
    public ClientFrame decode(String text) {
        return ProtocolCodec.decode(text);
    }

    /** Always true: an invalid frame decodes to {@link ClientFrame.Invalid} and gets an error reply. */
    @Override
    public boolean willDecode(String text) {
        return true;
    }
}
