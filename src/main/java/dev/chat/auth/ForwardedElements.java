package dev.chat.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * RFC 7239's {@code Forwarded} header, as far as {@link ClientAddress} believes it: each element's
 * {@code for} (the address the proxy that wrote it saw; its port and an IPv6 literal's brackets
 * dropped) and {@code proto}. {@code unknown} and obfuscated identifiers ({@code _hidden}) are kept
 * as they are: they are no address, so the walk over the hops ends at them.
 */
final class ForwardedElements {
    /** One proxy's element; an absent parameter is {@code ""}. */
    record Element(String forAddress, String proto) { }

    /** Headers longer than this are not read: a proxy chain writes far less. */
    private static final int MAX_CHARS = 4096;

    /** The elements of every value in order; none for a missing, empty or oversize header. */
    static List<Element> parse(List<String> values) {
        List<Element> elements = new ArrayList<>();
        if (values == null) {
            return elements;
        }
        int length = 0;
        for (String value : values) {
            if (value == null) {
                continue;
            }
            length += value.length();
            if (length > MAX_CHARS) {
                return List.of();
            }
            for (String element : value.split(",")) {
                if (!element.isBlank()) {
                    elements.add(element(element));
                }
            }
        }
        return elements;
    }

    private static Element element(String text) {
        String forAddress = "";
        String proto = "";
        for (String pair : text.split(";")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String name = pair.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = unquote(pair.substring(eq + 1).trim());
            if (name.equals("for")) {
                forAddress = withoutPort(value);
            } else if (name.equals("proto")) {
                proto = value;
            }
        }
        return new Element(forAddress, proto);
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }

    /** {@code [2001:db8::1]:4711} to {@code 2001:db8::1}, {@code 192.0.2.43:47011} to {@code 192.0.2.43}; other text as is. */
    private static String withoutPort(String node) {
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            return close < 0 ? node : node.substring(1, close);
        }
        int colon = node.indexOf(':');
        return colon >= 0 && node.indexOf(':', colon + 1) < 0 ? node.substring(0, colon) : node;
    }

    private ForwardedElements() {
    }
}
