package dev.chat.embedded;

import java.io.IOException;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpRequestPacket;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServerFilter;
import org.glassfish.grizzly.http.server.NetworkListener;

/**
 * Ends refused upgrades properly. When a handshake is refused before the upgrade (for example
 * {@code Origin: null}, 403), Tyrus on Grizzly writes the status line with no Content-Length and
 * keeps the connection open, so an HTTP/1.1 client waits for a body forever. This filter, just
 * below Tyrus's, adds {@code Content-Length: 0} and closes the connection after the answer.
 */
final class RejectedUpgradeFix implements AddOn {

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        int tyrus = builder.indexOfType(HttpServerFilter.class) - 1; // WebSocketAddOn put its filter here
        builder.add(tyrus, new BaseFilter() {
            @Override
            public NextAction handleWrite(FilterChainContext ctx) throws IOException {
                if (ctx.getMessage() instanceof HttpContent content
                        && content.getHttpHeader() instanceof HttpResponsePacket response) {
                    HttpRequestPacket request = response.getRequest();
                    if (request != null && request.isUpgrade() && response.getStatus() >= 400
                            && !response.isCommitted() && response.getContentLength() < 0 && !response.isChunked()) {
                        response.setContentLength(0);
                        response.setHeader("Connection", "close");
                        ctx.write(content, new EmptyCompletionHandler<WriteResult>() {
                            @Override
                            public void completed(WriteResult result) {
                                ctx.getConnection().closeSilently();
                            }
                        });
                        return ctx.getStopAction();
                    }
                }
                return ctx.getInvokeAction();
            }
        });
    }
}
