package dev.chat.auth;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which web pages may open a WebSocket (the defence against cross-site WebSocket hijacking).
 * Default: same origin only, that is the Origin's host and port equal the request's Host. A
 * request without Origin comes from a non-browser client and is allowed; {@code Origin: null}
 * (sandboxed frames, file: pages) never is.
 */
public final class OriginPolicy {
    private final List<String> allowed;

    /** @param allowed explicit origins; empty means same origin only; {@code *} allows any */
    public OriginPolicy(List<String> allowed) {
        this.allowed = allowed.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
    }

    public boolean allows(String origin, String host) {
        if (origin == null) {
            return true;
        }
        String o = origin.trim().toLowerCase(Locale.ROOT);
        if (o.equals("null")) {
            return false;
        }
        if (allowed.contains("*") || allowed.contains(o)) {
            return true;
        }
        return allowed.isEmpty() && host != null && sameHostAndPort(o, host.trim().toLowerCase(Locale.ROOT));
    }

    private static boolean sameHostAndPort(String origin, String host) {
        try {
            URI uri = new URI(origin);
            // an origin is scheme://host[:port] and nothing more (RFC 6454): a browser never sends
            // userinfo, a path, a query or a fragment, so one that does is forged or broken
            if (uri.getHost() == null || uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getRawUserInfo() != null || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                return false;
            }
            int port = uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
            String hostName = host;
            int hostPort = -1;
            int colon = host.lastIndexOf(':');
            if (colon > host.lastIndexOf(']')) {
                hostName = host.substring(0, colon);
                hostPort = Integer.parseInt(host.substring(colon + 1));
            }
            if (hostPort == -1) {
                hostPort = port; // a Host without a port means the scheme's default, as the Origin's
            }
            return uri.getHost().equals(hostName) && port == hostPort;
        } catch (java.net.URISyntaxException | NumberFormatException e) {
            return false;
        }
    }
}
