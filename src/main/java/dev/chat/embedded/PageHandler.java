package dev.chat.embedded;

import dev.chat.web.SecurityHeaders;
import java.util.Map;
import org.glassfish.grizzly.http.server.CLStaticHttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/** The page from the classpath copy of {@code webapp/}, with the node's {@link SecurityHeaders#page} on every answer. */
final class PageHandler extends CLStaticHttpHandler {
    private final java.util.List<Map.Entry<String, String>> headers;
    private static final java.util.regex.Pattern FILE_PATH = java.util.regex.Pattern.compile("[A-Za-z0-9._/-]*");

    PageHandler(java.util.List<Map.Entry<String, String>> headers) {
        super(PageHandler.class.getClassLoader(), "/webapp/");
        this.headers = headers;
        setFileCacheEnabled(false);
    }

    @Override
    public void service(Request request, Response response) throws Exception {
        for (Map.Entry<String, String> h : headers) {
            response.setHeader(h.getKey(), h.getValue());
        }
        // the page's files have plain names; an escaped or odd character made the class-path lookup fail (500)
        if (!FILE_PATH.matcher(request.getRequestURI()).matches()) {
            response.sendError(404);
            return;
        }
        super.service(request, response);
    }
}
