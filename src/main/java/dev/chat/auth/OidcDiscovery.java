package dev.chat.auth;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Fetches an OpenID Connect provider's discovery document at start. A provider that is still
 * starting beside us (one compose file, one rollout) is waited for: {@link #ATTEMPTS} tries
 * {@link #PAUSE} apart, each failure logged with its reason. Then the start fails, saying why: a
 * node that offers a sign-in it cannot complete, and would refuse every provider user, is worse
 * than one that does not start and is restarted by its supervisor.
 */
public final class OidcDiscovery {
    private static final System.Logger LOG = System.getLogger(OidcDiscovery.class.getName());
    /** With {@link #PAUSE} and {@link #TIMEOUT}: a provider gets about a minute to come up. */
    public static final int ATTEMPTS = 10;
    public static final Duration PAUSE = Duration.ofSeconds(3);
    public static final Duration TIMEOUT = Duration.ofSeconds(3);
    /** Real documents are a few KiB; a larger answer is not one. */
    private static final int MAX_BYTES = 256 * 1024;

    private final int attempts;
    private final Duration pause;
    private final HttpClient http;

    public OidcDiscovery(int attempts, Duration pause) {
        this.attempts = attempts;
        this.pause = pause;
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The endpoints of {@code issuer}, retried as the class says. */
    public static OidcEndpoints atStart(URI issuer) {
        return new OidcDiscovery(ATTEMPTS, PAUSE).discover(issuer);
    }

    /** @throws IllegalStateException when every attempt failed, with the last reason */
    public OidcEndpoints discover(URI issuer) {
        URI document = OidcEndpoints.documentOf(issuer);
        String reason = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                OidcEndpoints endpoints = OidcEndpoints.parse(issuer, fetch(document));
                LOG.log(Level.INFO, "OIDC provider {0}: {1}", issuer, endpoints);
                return endpoints;
            } catch (IOException | IllegalArgumentException e) {
                reason = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            if (attempt < attempts) {
                LOG.log(Level.WARNING, "OIDC discovery at {0} failed ({1}); attempt {2} of {3}, again in {4} s", document, reason,
                        attempt, attempts, pause.toSeconds());
                try {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new IllegalStateException("CHAT_OIDC_ISSUER: discovery at " + document + " failed " + attempts
                + " times, last: " + reason + "; the node does not start without its provider");
    }

    private String fetch(URI document) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(document).timeout(TIMEOUT).header("Accept", "application/json").GET().build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] body = in.readNBytes(MAX_BYTES + 1);
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode());
                }
                if (body.length > MAX_BYTES) {
                    throw new IOException("larger than " + MAX_BYTES + " bytes");
                }
                return new String(body, StandardCharsets.UTF_8);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
