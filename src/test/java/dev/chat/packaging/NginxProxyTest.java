package dev.chat.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped TLS proxy, {@code deploy/nginx-tls.conf}, run by Debian's real nginx in front of the
 * embedded server: the file is read and only its ports, upstream, certificate, log paths and (for
 * the limit) its connection count are changed, so what passes here is what an operator installs.
 * Each test has its own nginx (a fresh access log, no connection left over from another test); the
 * chat node, with {@code CHAT_TRUSTED_PROXIES=127.0.0.1}, and the self-signed certificate for
 * 127.0.0.1 are shared.
 */
@Timeout(60)
class NginxProxyTest {
    private static final Path SHIPPED = Path.of("deploy/nginx-tls.conf");
    private static final Path COMPOSE_PROXY = Path.of("deploy/nginx.conf");
    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final Path OPENSSL = Path.of("/usr/bin/openssl");
    /** The test's own limit_conn, small enough to fill. */
    private static final int LIMIT = 3;
    /** The test's client_header_timeout, short enough to wait for. */
    private static final int HEADER_TIMEOUT_SECONDS = 2;

    private static TestServer node;
    private static Path tls;
    private static SSLContext trustingTheCertificate;
    private static HttpClient https;

    private Process nginx;
    private Path prefix;
    private int httpPort;
    private int httpsPort;

    @BeforeAll
    static void startTheNodeAndMakeACertificate() throws Exception {
        for (Path binary : List.of(NGINX, OPENSSL)) {
            if (!Files.isExecutable(binary)) {
                fail(binary + " is missing: apt-get install -y --no-install-recommends nginx openssl (.ci/run does it)");
            }
        }
        node = TestServer.start(Map.of("CHAT_TRUSTED_PROXIES", "127.0.0.1"));
        tls = Files.createTempDirectory("nginx-tls-");
        run(List.of(OPENSSL.toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", tls.resolve("chat.key").toString(), "-out", tls.resolve("chat.crt").toString()));
        trustingTheCertificate = sslContextTrusting(tls.resolve("chat.crt"));
        https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustingTheCertificate)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @AfterAll
    static void stopTheNode() {
        if (node != null) {
            node.close();
        }
    }

    @AfterEach
    void stopNginx() throws Exception {
        if (nginx != null) {
            nginx.destroy(); // SIGTERM: nginx's fast shutdown, master and workers
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
    }

    @Test
    void plainHttpIsRedirectedToHttpsAndItsLogHasNoQueryString() throws Exception {
        startNginx(200);
        String token = "not-a-real-token-but-logged-if-anything-is";
        HttpResponse<String> answer = https.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/ws?access_token=" + token)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(301, answer.statusCode());
        String location = answer.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith("https://127.0.0.1/ws"), location);
        assertOnlyPathsInTheLog(List.of("\"GET /ws HTTP/1.1\" 301"), token);
    }

    @Test
    void registerAndLoginThroughHttpsGetASecureRefreshCookieAndHsts() throws Exception {
        startNginx(200);
        String user = "tls-ann";
        assertEquals(201, post("api/register", TestServer.credentials(user, "password-" + user)).statusCode());
        HttpResponse<String> login = post("api/login", TestServer.credentials(user, "password-" + user));
        assertEquals(200, login.statusCode(), login::body);
        String cookie = login.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("chat_refresh=")).findFirst().orElseThrow();
        // Secure only because the node believed nginx's X-Forwarded-Proto: https (it saw plain HTTP).
        assertTrue(cookie.contains("; Secure"), cookie);
        assertTrue(login.headers().firstValue("Strict-Transport-Security").orElse("").startsWith("max-age="),
                () -> login.headers().map().toString());
    }

    @Test
    void aWebSocketOverWssWithItsTokenInTheQueryChatsAndTheLogHasNeitherTokenNorQuery() throws Exception {
        startNginx(200);
        String token = tokenThroughNginx("tls-bob");
        try (WsClient client = wss(token)) {
            assertEquals("tls-bob", client.welcome());
            client.join("tls-lobby");
            assertTrue(client.say("tls-lobby", "over wss") > 0);
        }
        assertOnlyPathsInTheLog(List.of("\"POST /api/login HTTP/1.1\" 200", "\"GET /ws HTTP/1.1\" 101"), token);
    }

    @Test
    void aConnectionOverTheLimitFromOneAddressIs429WhileTheOthersStayOpen() throws Exception {
        startNginx(LIMIT);
        String token = tokenThroughNginx("tls-cap");
        List<WsClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < LIMIT; i++) {
                WsClient client = wss(token);
                client.welcome();
                open.add(client);
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> wss(token));
            WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
            assertEquals(429, refused.getResponse().statusCode());
            // the others still work: one joins, every other connection of the user follows it in and hears it
            WsClient first = open.get(0);
            first.join("tls-cap-room");
            for (WsClient other : open.subList(1, open.size())) {
                other.expectMembership("tls-cap-room", "joined");
            }
            first.say("tls-cap-room", "still here");
            for (WsClient other : open.subList(1, open.size())) {
                assertEquals("still here", other.expect("message").get("text"));
            }
        } finally {
            open.forEach(WsClient::close);
        }
    }

    @Test
    void aSocketThatSendsNothingIsClosedByNginxAfterTheHeaderTimeout() throws Exception {
        startNginx(200);
        try (Socket silent = new Socket()) {
            silent.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), httpsPort));
            // Bounded wait: the read ends at nginx's close, or fails the test at the socket timeout.
            silent.setSoTimeout((HEADER_TIMEOUT_SECONDS + 5) * 1000);
            long start = System.nanoTime();
            assertEquals(-1, silent.getInputStream().read(), "nginx closes a silent socket without answering");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds >= HEADER_TIMEOUT_SECONDS - 1, "closed after " + seconds + " s, before the timeout");
        }
    }

    @Test
    void theComposeProxyStillParsesAndBothFilesLogWithoutTheQueryString() throws Exception {
        Path dir = Files.createTempDirectory("nginx-compose-");
        String conf = replaceUpstreams(Files.readString(COMPOSE_PROXY), 8080)
                .replace("/var/log/nginx/", dir + "/");
        Path file = wrap(dir, conf);
        run(List.of(NGINX.toString(), "-t", "-q", "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
                "-c", file.toString()));
        for (Path shipped : List.of(COMPOSE_PROXY, SHIPPED)) {
            String text = Files.readString(shipped);
            Matcher format = Pattern.compile("log_format chat_no_query ([^;]*);").matcher(text);
            assertTrue(format.find(), shipped + " defines chat_no_query");
            for (String leaky : List.of("$request ", "$request\"", "$request_uri", "$args", "$query_string", "$arg_")) {
                assertFalse(format.group(1).contains(leaky), shipped + "'s log format writes " + leaky);
            }
            Matcher logs = Pattern.compile("access_log ([^;]*);").matcher(text);
            while (logs.find()) {
                assertTrue(logs.group(1).endsWith(" chat_no_query"), shipped + ": access_log " + logs.group(1));
            }
        }
    }

    // ---- nginx ----

    /** Starts nginx on the shipped file with the test's ports, upstream, paths and limit_conn. */
    private void startNginx(int limit) throws Exception {
        prefix = Files.createTempDirectory("nginx-");
        httpPort = freePort();
        httpsPort = freePort();
        String conf = Files.readString(SHIPPED);
        conf = replaceOnce(conf, "listen 80;", "listen 127.0.0.1:" + httpPort + ";");
        conf = replaceOnce(conf, "listen 443 ssl;", "listen 127.0.0.1:" + httpsPort + " ssl;");
        conf = replaceOnce(conf, "limit_conn chat_per_address 200;", "limit_conn chat_per_address " + limit + ";");
        conf = replaceOnce(conf, "client_header_timeout 10s;", "client_header_timeout " + HEADER_TIMEOUT_SECONDS + "s;");
        conf = replaceUpstreams(conf, node.server().port());
        conf = conf.replace("/etc/nginx/tls/", tls + "/").replace("/var/log/nginx/", prefix + "/");
        Path file = wrap(prefix, conf);
        nginx = new ProcessBuilder(NGINX.toString(), "-p", prefix.toString(), "-e", prefix.resolve("error.log").toString(),
                "-c", file.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(prefix.resolve("nginx.out").toFile()).start();
        awaitListening(httpPort);
        awaitListening(httpsPort);
    }

    /** The shipped file is an http-context file; this is the rest of a main config, all under {@code dir}. */
    private static Path wrap(Path dir, String httpContext) throws IOException {
        StringBuilder main = new StringBuilder();
        // As root nginx would run its workers as nobody, who cannot enter the private temp dirs.
        if ("root".equals(System.getProperty("user.name"))) {
            main.append("user root;\n");
        }
        main.append("worker_processes 1;\npid ").append(dir.resolve("nginx.pid")).append(";\n")
                .append("error_log ").append(dir.resolve("error.log")).append(" info;\n")
                .append("events { worker_connections 256; }\nhttp {\n");
        for (String temp : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            Path path = dir.resolve("temp-" + temp);
            Files.createDirectories(path);
            main.append("    ").append(temp).append("_temp_path ").append(path).append(";\n");
        }
        main.append(httpContext).append("\n}\n");
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, main);
        return file;
    }

    private static String replaceUpstreams(String conf, int port) {
        Matcher servers = Pattern.compile("(?m)^(\\s*)server\\s+[^\\s;{]+;\\s*\\n").matcher(conf);
        assertTrue(servers.find(), "the upstream's server lines");
        String first = servers.group(1) + "server 127.0.0.1:" + port + ";\n";
        String replaced = servers.replaceAll("");
        return replaced.replaceFirst("upstream chat_nodes \\{\\n", "upstream chat_nodes {\n" + Matcher.quoteReplacement(first));
    }

    private static String replaceOnce(String conf, String line, String with) {
        int at = conf.indexOf(line);
        assertTrue(at >= 0 && conf.indexOf(line, at + 1) < 0, () -> SHIPPED + " must have exactly one `" + line + "`");
        return conf.replace(line, with);
    }

    private void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                if (!nginx.isAlive() || System.nanoTime() > deadline) {
                    fail("nginx did not listen on " + port + ": " + Files.readString(prefix.resolve("nginx.out"))
                            + readIfThere(prefix.resolve("error.log")));
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * The access log holds each expected request, and nothing of a query: no {@code ?}, no
     * {@code access_token}, not the token. nginx writes a request's line when it ends, so the wait
     * is for the last expected line, bounded.
     */
    private void assertOnlyPathsInTheLog(List<String> expected, String token) throws Exception {
        Path log = prefix.resolve("chat-access.log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String text = readIfThere(log);
        while (!expected.stream().allMatch(text::contains)) {
            if (System.nanoTime() > deadline) {
                fail("the access log lacks " + expected + ":\n" + text);
            }
            Thread.sleep(20);
            text = readIfThere(log);
        }
        assertFalse(text.contains("?"), text);
        assertFalse(text.contains("access_token"), text);
        assertFalse(text.contains(token), text);
    }

    // ---- clients ----

    private HttpResponse<String> post(String path, String body) throws Exception {
        return https.send(HttpRequest.newBuilder(httpsBase().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String tokenThroughNginx(String user) throws Exception {
        assertEquals(201, post("api/register", TestServer.credentials(user, "password-" + user)).statusCode());
        HttpResponse<String> login = post("api/login", TestServer.credentials(user, "password-" + user));
        assertEquals(200, login.statusCode(), login::body);
        return (String) TestServer.json(login.body()).get("token");
    }

    private WsClient wss(String token) throws Exception {
        URI uri = URI.create("wss://127.0.0.1:" + httpsPort + "/ws?access_token="
                + URLEncoder.encode(token, StandardCharsets.UTF_8));
        return WsClient.connect(https, uri, Map.of("Origin", "https://127.0.0.1:" + httpsPort));
    }

    private URI httpsBase() {
        return URI.create("https://127.0.0.1:" + httpsPort + "/");
    }

    // ---- helpers ----

    private static SSLContext sslContextTrusting(Path certificate) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(certificate))) {
            trusted.setCertificateEntry("nginx", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), () -> command + " did not finish");
        assertEquals(0, p.exitValue(), () -> command + ": " + out);
    }

    private static String readIfThere(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
