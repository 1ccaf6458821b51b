package dev.chat.embedded;

import org.glassfish.grizzly.http.server.ErrorPageGenerator;
import org.glassfish.grizzly.http.server.Request;

/**
 * The jar's error pages (a missing file, a failed request): the status and its standard phrase,
 * nothing else. Grizzly's own page names its version, and its description repeats the request's
 * path, a client's text.
 */
final class PlainErrorPages implements ErrorPageGenerator {
    @Override
    public String generate(Request request, int status, String reasonPhrase, String description, Throwable exception) {
        var known = org.glassfish.grizzly.http.util.HttpStatus.getHttpStatus(status);
        String phrase = known == null ? "" : known.getReasonPhrase();
        return "<!DOCTYPE html><html><head><title>" + status + "</title></head><body><p>" + status + " " + phrase
                + "</p></body></html>";
    }
}
