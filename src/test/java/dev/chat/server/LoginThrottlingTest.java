package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failed logins are throttled per (user name, remote address) pair and per remote address (here 3
 * and 6 in a 60 s window; the defaults are 5 and 100 in 5 min): then 429 with Retry-After, even for the right password, and
 * a success clears the name's count. Each test has its own node, since all requests share 127.0.0.1.
 */
@Timeout(60)
class LoginThrottlingTest {
    private TestServer server;

    private TestServer start(String... users) {
        server = TestServer.start(Map.of("CHAT_LOGIN_MAX_FAILURES_PER_USER", "3",
                "CHAT_LOGIN_MAX_FAILURES_PER_ADDRESS", "6", "CHAT_LOGIN_FAILURE_WINDOW", "60s"),
                SeededUsers.create(users).dataDir());
        return server;
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> login(String user, String password) throws Exception {
        return server.post("api/login", TestServer.credentials(user, password));
    }

    private static void assertThrottled(HttpResponse<String> r) {
        assertEquals(429, r.statusCode(), r::body);
        long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, () -> "Retry-After " + retryAfter);
        assertEquals("too many failed logins; retry after " + retryAfter + " s", TestServer.json(r.body()).get("error"));
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
    }

    @Test
    void afterThreeFailuresANameGets429EvenWithTheRightPassword() throws Exception {
        start("lt-alice", "lt-bob");
        for (int i = 0; i < 3; i++) {
            assertEquals(401, login("lt-alice", "wrong-password").statusCode());
        }
        assertThrottled(login("lt-alice", "wrong-password"));
        assertThrottled(login("lt-alice", "password-lt-alice"));
        assertEquals(200, login("lt-bob", "password-lt-bob").statusCode(), "other names are not affected");
    }

    /** Guesses sent at once were all checked before the first had failed: 8 got through where 5 were allowed. */
    @Test
    void concurrentGuessesGetOnlyTheAllowedThreeAnswers() throws Exception {
        start("lt-race");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(12);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                answers.add(pool.submit(() -> login("lt-race", "wrong-password").statusCode()));
            }
            int unauthorized = 0;
            for (java.util.concurrent.Future<Integer> a : answers) {
                int status = a.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(status == 401 || status == 429, "status " + status);
                unauthorized += status == 401 ? 1 : 0;
            }
            assertEquals(3, unauthorized, "guesses that reached the password check");
        } finally {
            pool.shutdownNow();
        }
    }

    /** 221 registrations in 20 s once came from one address, never a 429 (each a password hash, each a free account). */
    @Test
    void registrationsFromOneAddressAreLimitedPerHour() throws Exception {
        server = TestServer.start(Map.of("CHAT_REGISTER_MAX_PER_ADDRESS", "3"));
        for (int i = 0; i < 3; i++) {
            assertEquals(201, server.post("api/register", TestServer.credentials("reg-" + i, "password-reg")).statusCode());
        }
        HttpResponse<String> r = server.post("api/register", TestServer.credentials("reg-3", "password-reg"));
        assertEquals(429, r.statusCode(), r::body);
        long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 3500 && retryAfter <= 3600, () -> "Retry-After " + retryAfter);
        assertEquals("too many registrations from this address; retry after " + retryAfter + " s", TestServer.json(r.body()).get("error"));
        assertEquals(429, server.post("api/register", TestServer.credentials("reg-0", "password-reg")).statusCode(),
                "whatever the name asked for");
        assertEquals(200, login("reg-0", "password-reg").statusCode(), "logins are not affected");
    }

    @Test
    void aSuccessResetsTheNamesCount() throws Exception {
        start("lt-carol");
        for (int round = 0; round < 2; round++) {
            assertEquals(401, login("lt-carol", "wrong-password").statusCode());
            assertEquals(401, login("lt-carol", "wrong-password").statusCode());
            assertEquals(200, login("lt-carol", "password-lt-carol").statusCode());
        }
    }

    @Test
    void afterSixFailuresFromOneAddressEveryNameGets429() throws Exception {
        start("lt-dave");
        for (int i = 0; i < 6; i++) {
            assertEquals(401, login("lt-dave" + (i % 2 == 0 ? "" : "-typo" + i), "wrong-password").statusCode());
        }
        assertThrottled(login("lt-dave", "password-lt-dave"));
        assertThrottled(login("lt-someone-else", "whatever-password"));
    }

    /**
     * 13 failed logins with random names once locked the address, so everyone behind the same
     * proxy; with the defaults (5 per name and address, 100 per address) 25 of them lock nobody.
     */
    @Test
    void guessesAtRandomNamesDoNotLockOutARealUserFromTheSameAddress() throws Exception {
        server = TestServer.start(Map.of(), SeededUsers.create("lt-erin").dataDir());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 25; i++) {
                String name = "nobody-" + i;
                answers.add(pool.submit(() -> login(name, "wrong-password").statusCode()));
            }
            for (java.util.concurrent.Future<Integer> a : answers) {
                assertEquals(401, a.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(200, login("lt-erin", "password-lt-erin").statusCode());
    }
}
