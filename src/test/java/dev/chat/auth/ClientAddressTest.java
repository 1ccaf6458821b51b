package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client's address: the peer's, or behind a trusted proxy the rightmost forwarded hop that is not one. */
@Timeout(10)
class ClientAddressTest {
    private final ClientAddress proxies = ClientAddress.trusting(List.of("10.0.0.0/8", "192.168.1.5", "fd00::/8"));

    @Test
    void anUntrustedPeersForwardedForIsIgnored() {
        assertEquals("203.0.113.7", proxies.resolve("203.0.113.7", List.of("198.51.100.1")));
        assertEquals("203.0.113.7", ClientAddress.direct().resolve("203.0.113.7", List.of("10.0.0.1")));
    }

    @Test
    void aTrustedPeerForwardsTheRightmostHopThatIsNotAProxy() {
        assertEquals("198.51.100.1", proxies.resolve("10.1.2.3", List.of("198.51.100.1")));
        assertEquals("198.51.100.1", proxies.resolve("10.1.2.3", List.of("spoofed-by-client, 1.1.1.1, 198.51.100.1, 10.9.9.9")),
                "hops left of the first untrusted one were written by the client");
        assertEquals("198.51.100.1", proxies.resolve("10.1.2.3", List.of("1.1.1.1", "198.51.100.1, 192.168.1.5")),
                "several header lines are one list, in order");
    }

    @Test
    void aTrustedPeerWithoutForwardedForIsTheClient() {
        assertEquals("10.1.2.3", proxies.resolve("10.1.2.3", List.of()));
        assertEquals("10.1.2.3", proxies.resolve("10.1.2.3", null));
    }

    @Test
    void allHopsTrustedMeansTheLeftmost() {
        assertEquals("10.0.0.1", proxies.resolve("10.1.2.3", List.of("10.0.0.1, 192.168.1.5")));
    }

    @Test
    void aHopThatIsNoAddressEndsTheWalkAtTheTrustedHopToItsRight() {
        assertEquals("10.0.0.1", proxies.resolve("10.1.2.3", List.of("unknown, 10.0.0.1")));
        assertEquals("10.1.2.3", proxies.resolve("10.1.2.3", List.of("999.1.1.1")));
        assertEquals("10.1.2.3", proxies.resolve("10.1.2.3", List.of("example.com")), "never a DNS lookup");
        assertEquals("10.1.2.3", proxies.resolve("10.1.2.3", List.of("1.2.3.4:8080")));
    }

    @Test
    void addressesAreCanonical() {
        assertEquals("203.0.113.7", proxies.resolve("::ffff:203.0.113.7", List.of()));
        assertEquals("2001:db8:0:0:0:0:0:1", proxies.resolve("fd00::1", List.of("[2001:db8::1]")));
        assertTrue(proxies.trusted("fd12:3456::1"));
        assertFalse(proxies.trusted("fe80::1"));
        assertTrue(proxies.trusted("10.255.255.255"));
        assertFalse(proxies.trusted("11.0.0.0"));
        assertFalse(proxies.trusted("192.168.1.6"));
    }

    private final ClientAddress rfc7239 = ClientAddress.trusting(List.of("10.0.0.0/8", "192.168.1.5", "fd00::/8"), true);

    @Test
    void onlyTheConfiguredHeaderIsReadSoAClientCannotSendTheOther() {
        assertEquals("198.51.100.9", proxies.resolve("10.1.2.3", List.of("198.51.100.9"), List.of("for=6.6.6.6")));
        assertEquals("6.6.6.6", rfc7239.resolve("10.1.2.3", List.of("198.51.100.9"), List.of("for=6.6.6.6")));
        assertEquals("10.1.2.3", rfc7239.resolve("10.1.2.3", List.of("198.51.100.9"), List.of()), "no Forwarded: the proxy is the client");
        assertFalse(proxies.forwardedHttps("10.1.2.3", null, List.of("for=198.51.100.1;proto=https")));
        assertFalse(rfc7239.forwardedHttps("10.1.2.3", "https", List.of()));
    }

    @Test
    void rfc7239ForwardedIsReadWithItsPortsBracketsAndQuotes() {
        assertEquals("198.51.100.1", rfc7239.resolve("10.1.2.3", List.of("6.6.6.6"), List.of("for=198.51.100.1;proto=https, for=10.9.9.9")));
        assertEquals("198.51.100.1", rfc7239.resolve("10.1.2.3", List.of(), List.of("for=spoofed", "For=198.51.100.1;by=10.0.0.1")));
        assertEquals("2001:db8:0:0:0:0:0:17", rfc7239.resolve("10.1.2.3", null, List.of("for=\"[2001:db8::17]:4711\"")));
        assertEquals("192.0.2.43", rfc7239.resolve("10.1.2.3", null, List.of("for=\"192.0.2.43:47011\";proto=http")));
        assertEquals("10.0.0.1", rfc7239.resolve("10.1.2.3", null, List.of("for=198.51.100.1, for=unknown, for=10.0.0.1")),
                "unknown is no address: the walk ends at the trusted hop to its right");
        assertEquals("10.0.0.1", rfc7239.resolve("10.1.2.3", null, List.of("for=_hidden, for=10.0.0.1")));
        assertEquals("203.0.113.7", rfc7239.resolve("203.0.113.7", null, List.of("for=198.51.100.1")), "not from a trusted peer");
    }

    @Test
    void httpsIsTheProtoOfTheClientsElementOrTheFirstXForwardedProto() {
        assertTrue(rfc7239.forwardedHttps("10.1.2.3", null, List.of("for=198.51.100.1;proto=https")));
        assertFalse(rfc7239.forwardedHttps("10.1.2.3", null, List.of("for=1.1.1.1;proto=https, for=198.51.100.1;proto=http")),
                "an element the client wrote itself says nothing");
        assertTrue(rfc7239.forwardedHttps("10.1.2.3", null, List.of("for=198.51.100.1;proto=HTTPS, for=10.0.0.7;proto=http")),
                "the element of the client's hop, not the inner proxy's");
        assertFalse(rfc7239.forwardedHttps("203.0.113.7", "https", List.of("for=198.51.100.1;proto=https")), "not from a trusted peer");
        assertTrue(proxies.forwardedHttps("10.1.2.3", "https, http", List.of()));
        assertFalse(proxies.forwardedHttps("10.1.2.3", "http", null));
    }

    @Test
    void anUnknownPeerIsUnknown() {
        assertNull(proxies.resolve(null, List.of("198.51.100.1")));
    }

    @Test
    void prefixesNeedNotFallOnByteBoundaries() {
        ClientAddress p = ClientAddress.trusting(List.of("172.16.0.0/12"));
        assertTrue(p.trusted("172.31.255.1"));
        assertFalse(p.trusted("172.32.0.1"));
        assertTrue(ClientAddress.trusting(List.of("0.0.0.0/0")).trusted("8.8.8.8"));
    }

    @Test
    void entriesThatAreNeitherAddressesNorRangesAreRefused() {
        for (String bad : List.of("proxy.example.com", "10.0.0.0/33", "10.0.0.0/x", "::1/129", "300.1.1.1", "")) {
            assertFalse(ClientAddress.validEntry(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> ClientAddress.trusting(List.of(bad)), bad);
        }
        assertTrue(ClientAddress.validEntry("::1"));
        assertTrue(ClientAddress.validEntry("10.0.0.5"));
    }
}
