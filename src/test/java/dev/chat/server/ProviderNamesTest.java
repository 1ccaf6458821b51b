package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.chat.testing.JwksServer;
import dev.chat.testing.Names;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Provider user names beyond the local syntax (issue 15), on a real node with a local JWKS: an
 * e-mail and a 64-character Unicode name chat with each other and with a local account, in rooms
 * and directly, and get their exact names back in every frame; invalid names are refused.
 */
@Timeout(90)
class ProviderNamesTest {
    private static final String EMAIL = Names.EMAIL;
    private static final String UNI = Names.UNICODE_64;
    private static final String LOCAL = "names-bob";

    private static JwksServer idp;
    private static TestServer server;
    private static RSAKey key;

    @BeforeAll
    static void start() {
        idp = JwksServer.start();
        key = idp.addRsaKey("names-1");
        server = TestServer.start(Map.of("CHAT_JWT_JWKS_URL", idp.url().toString(), "CHAT_JWT_ISSUER", JwksServer.ISSUER,
                "CHAT_JWT_AUDIENCE", JwksServer.AUDIENCE, "CHAT_LOCAL_ACCOUNTS", "true"), SeededUsers.create(LOCAL).dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
        idp.close();
    }

    private static String token(String user) {
        Instant now = Instant.now();
        return JwksServer.sign(key, new JWTClaimsSet.Builder().subject(user).issuer(JwksServer.ISSUER).audience(JwksServer.AUDIENCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600))).build());
    }

    private static WsClient provider(String user) throws Exception {
        WsClient c = WsClient.connect(server.ws(token(user)), Map.of("Origin", server.origin()));
        assertEquals(user, c.welcome(), "welcome names the user exactly");
        return c;
    }

    private static WsClient local(String user) throws Exception {
        WsClient c = WsClient.connect(server.ws(SeededUsers.token(user)), Map.of("Origin", server.origin()));
        assertEquals(user, c.welcome());
        return c;
    }

    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    private static Map<String, Object> direct(WsClient from, String to, String text) throws InterruptedException {
        String id = "d-" + IDS.incrementAndGet(); // unique across connections: a repeated id would be a resend
        from.send(Map.of("type", "send", "to", to, "text", text, "id", id));
        Map<String, Object> ack = from.expect("ack");
        assertEquals(to, ack.get("to"));
        assertEquals(id, ack.get("id"));
        return ack;
    }

    private static void received(WsClient c, String from, String to, String text) throws InterruptedException {
        Map<String, Object> m = c.expect("message");
        assertEquals(from, m.get("from"));
        assertEquals(to, m.get("to"));
        assertEquals(text, m.get("text"));
        assertFalse(m.containsKey("room"), "a direct message names no room: " + m);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> history(WsClient c, String with) throws InterruptedException {
        c.send(Map.of("type", "history", "with", with, "id", "h"));
        Map<String, Object> h = c.expect("history");
        assertEquals(with, h.get("with"));
        return (List<Map<String, Object>>) h.get("messages");
    }

    /** "bot:<name>" is the server API's bots' namespace: a provider's user so named would read what a bot writes to others. */
    @Test
    void aProviderUserNamedLikeABotIsRefused() throws Exception {
        try (WsClient c = WsClient.connect(server.ws(token("bot:hr")), Map.of("Origin", server.origin()))) {
            assertEquals(4500, c.awaitClose());
        }
        try (WsClient c = provider("bot-hr")) { // a name that only looks alike is a name like any other
            c.join("names-bots");
        }
    }

    @Test
    void anEmailAUnicodeNameAndALocalAccountChatInARoomWithTheirExactNames() throws Exception {
        try (WsClient erin = provider(EMAIL); WsClient uni = provider(UNI); WsClient bob = local(LOCAL)) {
            erin.join("names-room");
            Map<String, Object> joined = uni.join("names-room");
            assertEquals(Set.of(EMAIL, UNI), Set.copyOf((List<?>) joined.get("members")));
            Map<String, Object> presence = erin.expect("presence");
            assertEquals(UNI, presence.get("user"));
            assertEquals("joined", presence.get("state"));
            bob.join("names-room");
            assertEquals(LOCAL, erin.expect("presence").get("user"));
            assertEquals(LOCAL, uni.expect("presence").get("user"));

            uni.say("names-room", "hello from far away");
            for (WsClient c : List.of(erin, bob)) {
                Map<String, Object> m = c.expect("message");
                assertEquals(UNI, m.get("from"));
                assertEquals("names-room", m.get("room"));
            }
            bob.send(Map.of("type", "history", "room", "names-room", "id", "rh"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> page = (List<Map<String, Object>>) bob.expect("history").get("messages");
            assertEquals(UNI, page.get(page.size() - 1).get("from"));

            uni.send(Map.of("type", "leave", "room", "names-room", "id", "l"));
            uni.expect("left");
            Map<String, Object> gone = erin.expect("presence");
            assertEquals(UNI, gone.get("user"));
            assertEquals("left", gone.get("state"));
        }
    }

    @Test
    void providerNamesAndALocalAccountMessageEachOtherDirectlyAndReadTheirHistory() throws Exception {
        try (WsClient erin = provider(EMAIL); WsClient uni = provider(UNI); WsClient bob = local(LOCAL)) {
            direct(erin, UNI, "e to u");
            received(uni, EMAIL, UNI, "e to u");
            direct(uni, LOCAL, "u to b");
            received(bob, UNI, LOCAL, "u to b");
            direct(bob, EMAIL, "b to e");
            received(erin, LOCAL, EMAIL, "b to e");

            List<Map<String, Object>> eu = history(uni, EMAIL);
            assertEquals("e to u", eu.get(eu.size() - 1).get("text"));
            assertEquals(EMAIL, eu.get(eu.size() - 1).get("from"));
            assertEquals(UNI, eu.get(eu.size() - 1).get("to"));
            List<Map<String, Object>> ub = history(bob, UNI);
            assertEquals(UNI, ub.get(ub.size() - 1).get("from"));
            List<Map<String, Object>> be = history(erin, LOCAL);
            assertEquals(LOCAL, be.get(be.size() - 1).get("from"));
        }
    }

    @Test
    void twoPairsThatOneNameWouldHaveJoinedStayTwoConversations() throws Exception {
        // "a+b" with "c" and "a" with "b+c" were both "@a+b+c" under the plain join
        try (WsClient ab = provider("nm-a+b"); WsClient c = provider("nm-c"); WsClient a = provider("nm-a");
             WsClient bc = provider("nm-b+c")) {
            assertEquals(1L, ((Number) direct(ab, "nm-c", "for c").get("seq")).longValue());
            received(c, "nm-a+b", "nm-c", "for c");
            assertEquals(1L, ((Number) direct(a, "nm-b+c", "for b+c").get("seq")).longValue(), "a conversation of its own");
            received(bc, "nm-a", "nm-b+c", "for b+c");

            List<Map<String, Object>> ofC = history(c, "nm-a+b");
            assertEquals(List.of("for c"), ofC.stream().map(m -> m.get("text")).toList());
            List<Map<String, Object>> ofBc = history(bc, "nm-a");
            assertEquals(List.of("for b+c"), ofBc.stream().map(m -> m.get("text")).toList());
            c.assertNothingPendingOutside();
            a.assertNothingPendingOutside();
        }
    }

    @Test
    void tokensWithA65CharacterNameAControlCharacterOrABidiOverrideAreRefusedWith4500() throws Exception {
        for (String bad : List.of(Names.pad(UNI, 65), "nm-bell\u0007", "nm-\u202Egnp.exe", "@server", " nm-padded")) {
            try (WsClient c = WsClient.connect(server.ws(token(bad)), Map.of("Origin", server.origin()))) {
                WsClient.assertCode(4500, c);
            }
        }
    }

    @Test
    void framesNamingAnInvalidUserAreBadRequestsAndAValidUnknownOneIsNoSuchUser() throws Exception {
        try (WsClient erin = provider(EMAIL)) {
            erin.send(Map.of("type", "send", "to", "nm-x\u202E", "text", "hi", "id", "d-1"));
            Map<String, Object> error = erin.expect("error");
            assertEquals("bad_request", error.get("code"));
            assertEquals("to must be a user name (1 to 64 printable characters): it contains a format character (U+202E)",
                    error.get("message"));
            erin.send(Map.of("type", "send", "to", "nobody@example.com", "text", "hi", "id", "d-2"));
            assertEquals("no_such_user", erin.expect("error").get("code"));
        }
    }

    @Test
    void noUserNameBecomesAMetricLabel() throws Exception {
        try (WsClient erin = provider(EMAIL); WsClient uni = provider(UNI)) {
            direct(erin, UNI, "counted, not named");
            received(uni, EMAIL, UNI, "counted, not named");
        }
        String metrics = server.get("metrics").body();
        assertTrue(metrics.contains("chat_"), "the metrics are served: " + metrics.length());
        assertFalse(metrics.contains("erin"), "no user name in a label");
        assertFalse(metrics.contains("Zo"), "no user name in a label");
    }
}
