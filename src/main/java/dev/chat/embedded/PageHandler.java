package dev.chat.embedded;

import dev.chat.web.SecurityHeaders;
import java.util.Map;
import org.glassfish.grizzly.http.server.CLStaticHttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/** The page from the classpath copy of {@code webapp/}, with {@link SecurityHeaders#PAGE} on every answer. */
final class PageHandler extends CLStaticHttpHandler {

    PageHandler() {
        super(PageHandler.class.getClassLoader(), "/webapp/");
        setFileCacheEnabled(false);
    }

    @Override
    public void service(Request request, Response response) throws Exception {
        for (Map.Entry<String, String> h : SecurityHeaders.PAGE) {
            response.setHeader(h.getKey(), h.getValue());
        }
        super.service(request, response);
    }
}
