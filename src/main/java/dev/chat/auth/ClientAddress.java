package dev.chat.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which address a request comes from, for every per-address limit (connections, handshakes, failed
 * logins, registrations). The peer of the TCP connection, unless that peer is one of
 * {@code CHAT_TRUSTED_PROXIES}: then the rightmost {@code X-Forwarded-For} (or, with
 * {@code CHAT_FORWARDED_HEADER=Forwarded}, RFC 7239 {@code Forwarded} {@code for}) hop that is not itself a
 * trusted proxy. Hops to the left of it were written by the client and prove nothing, so an
 * {@code X-Forwarded-For} from a peer that is not trusted is ignored altogether.
 *
 * <p>Addresses are IP literals only, compared in their canonical form ({@code ::ffff:1.2.3.4} is
 * {@code 1.2.3.4}); a hop that is not one ends the walk at the trusted hop to its right, since a
 * trusted proxy only ever appends the address it saw. No name is ever looked up. Immutable.
 */
public final class ClientAddress {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private final List<Range> trusted;
    /** Whether the proxies write RFC 7239's {@code Forwarded}; else {@code X-Forwarded-For}/{@code -Proto}. Never both. */
    private final boolean rfc7239;

    private record Range(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixBits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            int mask = rest == 0 ? 0 : (0xFF << (8 - rest)) & 0xFF;
            return rest == 0 || (address[full] & mask) == (network[full] & mask);
        }
    }

    private ClientAddress(List<Range> trusted, boolean rfc7239) {
        this.trusted = List.copyOf(trusted);
        this.rfc7239 = rfc7239;
    }

    /** Trusts no proxy: every request's address is its peer's. */
    public static ClientAddress direct() {
        return new ClientAddress(List.of(), false);
    }

    /** Trusts these proxies' {@code X-Forwarded-For} and {@code X-Forwarded-Proto}. */
    public static ClientAddress trusting(List<String> proxies) {
        return trusting(proxies, false);
    }

    /**
     * @param proxies addresses ({@code 10.0.0.5}, {@code ::1}) and CIDR ranges ({@code 10.0.0.0/8},
     *                {@code fd00::/8}) of the proxies whose {@code X-Forwarded-For} is believed
     * @param rfc7239 the proxies write RFC 7239's {@code Forwarded} ({@code for}, {@code proto}), which is then
     *                read instead of {@code X-Forwarded-For} and {@code X-Forwarded-Proto}; only one kind is ever
     *                read, the one the proxies write, since a client may send the other and a proxy pass it on
     * @throws IllegalArgumentException naming the first entry that is neither
     */
    public static ClientAddress trusting(List<String> proxies, boolean rfc7239) {
        List<Range> ranges = new ArrayList<>();
        for (String proxy : proxies) {
            ranges.add(range(proxy));
        }
        return new ClientAddress(ranges, rfc7239);
    }

    /** Parses one {@code CHAT_TRUSTED_PROXIES} entry; the config uses it to validate. */
    static Range range(String entry) {
        String text = entry.trim();
        int slash = text.indexOf('/');
        byte[] network = literal(slash < 0 ? text : text.substring(0, slash));
        if (network == null) {
            throw new IllegalArgumentException("not an IP address or CIDR range: " + entry);
        }
        int bits = network.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > network.length * 8) {
                throw new IllegalArgumentException("prefix length out of range: " + entry);
            }
        }
        return new Range(network, bits);
    }

    /** Whether {@code entry} is a valid {@code CHAT_TRUSTED_PROXIES} entry. */
    public static boolean validEntry(String entry) {
        try {
            range(entry);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether {@code peer} is a trusted proxy (so its connections are its clients', not its own). */
    public boolean trusted(String peer) {
        byte[] address = literal(peer);
        return address != null && trusted(address);
    }

    private boolean trusted(byte[] address) {
        for (Range r : trusted) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's address: {@code peer} itself unless it is a trusted proxy, else the rightmost hop
     * of {@code forwardedFor} that is not a trusted proxy (all trusted: the leftmost). Null when the
     * peer is unknown.
     *
     * @param peer         the TCP peer's IP address as the runtime gives it; null when unknown
     * @param forwardedFor the request's {@code X-Forwarded-For} header values, in order (each may
     *                     list several hops, comma-separated); may be null
     */
    public String resolve(String peer, List<String> forwardedFor) {
        return resolve(peer, forwardedFor, List.of());
    }

    /**
     * As {@link #resolve(String, List)}, from the header the proxies write: RFC 7239's {@code Forwarded}
     * (its elements' {@code for}) when so configured, else {@code X-Forwarded-For}.
     *
     * @param forwarded the request's {@code Forwarded} header values, in order; may be null
     */
    public String resolve(String peer, List<String> forwardedFor, List<String> forwarded) {
        byte[] peerBytes = literal(peer);
        if (peerBytes == null) {
            return peer == null ? null : peer.trim();
        }
        List<String> hops = rfc7239 ? ForwardedElements.parse(forwarded).stream().map(ForwardedElements.Element::forAddress).toList()
                : hops(forwardedFor);
        int client = trusted(peerBytes) ? clientHop(hops) : -1;
        return client < 0 ? canonical(peerBytes) : canonical(literal(hops.get(client)));
    }

    /**
     * Whether the client reached the proxies over HTTPS, as a trusted proxy says: with
     * {@code Forwarded}, the {@code proto} of the element its proxy wrote for it (the element of
     * the client's hop); else the first {@code X-Forwarded-Proto} value. False from a peer that is
     * not trusted.
     */
    public boolean forwardedHttps(String peer, String forwardedProto, List<String> forwarded) {
        byte[] peerBytes = literal(peer);
        if (peerBytes == null || !trusted(peerBytes)) {
            return false;
        }
        if (!rfc7239) {
            return forwardedProto != null && "https".equalsIgnoreCase(forwardedProto.split(",")[0].trim());
        }
        List<ForwardedElements.Element> elements = ForwardedElements.parse(forwarded);
        if (elements.isEmpty()) {
            return false;
        }
        int client = clientHop(elements.stream().map(ForwardedElements.Element::forAddress).toList());
        // all hops trusted, or none readable: the nearest proxy's element speaks for the request
        ForwardedElements.Element said = elements.get(client < 0 ? elements.size() - 1 : client);
        return "https".equalsIgnoreCase(said.proto());
    }

    private static List<String> hops(List<String> forwardedFor) {
        List<String> hops = new ArrayList<>();
        if (forwardedFor != null) {
            for (String value : forwardedFor) {
                if (value != null) {
                    for (String hop : value.split(",")) {
                        hops.add(hop.trim());
                    }
                }
            }
        }
        return hops;
    }

    /**
     * The index of the client's hop behind a trusted peer: the rightmost that is not a trusted
     * proxy (all trusted: the leftmost); a hop that is no address ends the walk at the trusted hop
     * to its right. -1 when there is no hop, or the first one from the right is no address: the
     * peer is the client.
     */
    private int clientHop(List<String> hops) {
        int client = -1;
        for (int i = hops.size() - 1; i >= 0; i--) {
            byte[] hop = literal(hops.get(i));
            if (hop == null) {
                return client; // written by whoever the trusted hop to its right saw: that one is the client
            }
            client = i;
            if (!trusted(hop)) {
                return client;
            }
        }
        return client;
    }

    /** The address's bytes if {@code text} is an IPv4 or IPv6 literal (brackets allowed), else null; never a DNS lookup. */
    private static byte[] literal(String text) {
        if (text == null) {
            return null;
        }
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        boolean v4 = IPV4.matcher(s).matches();
        if (s.length() > 45 || !(v4 || IPV6.matcher(s).matches())) {
            return null; // a name, a port, garbage: InetAddress would try DNS for a name
        }
        if (v4) {
            for (String octet : s.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return null; // not a literal to InetAddress either, which would then look it up as a name
                }
            }
        }
        try {
            return InetAddress.getByName(s).getAddress(); // a literal by now: parsed, not looked up
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String canonical(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + address.length + " bytes", e);
        }
    }
}
