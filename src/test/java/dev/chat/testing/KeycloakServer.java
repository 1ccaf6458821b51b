package dev.chat.testing;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code -Dchat.keycloak.home}, unpacked by the {@code keycloak} profile) for
 * tests: {@code bin/kc.sh start-dev} as a child process on 127.0.0.1 and free ports, with an
 * in-memory database (every start is a fresh Keycloak) and a bootstrap admin, run by the JDK of
 * {@code -Dchat.keycloak.java} (Keycloak 26 needs Java 21+, the build runs on 17). Realms, clients,
 * roles and users are made with {@code bin/kcadm.sh}, the admin CLI operators use, logged in once
 * with a config file of this instance's own; tokens without a browser come from
 * {@link #passwordGrant}. The server's output goes to {@link #log()}, whose tail every failure
 * quotes. A missing home or JDK fails, never skips.
 *
 * <p>Not thread-safe: one test class drives it, from its own thread.
 */
public final class KeycloakServer implements AutoCloseable {
    /** A first start on 2 busy cores re-augments Quarkus (about 10 s) and builds the schema: far more than the ~30 s seen. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    /** A kcadm call is a JVM start and one or two HTTP requests: about a second. */
    private static final Duration KCADM_TIMEOUT = Duration.ofSeconds(60);
    /** SIGTERM lets Keycloak stop in well under a second; then SIGKILL. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final int LOG_TAIL_LINES = 50;
    public static final String ADMIN_USER = "admin";
    /** The bootstrap admin's password: a Keycloak on 127.0.0.1 for one test run, so a constant. */
    public static final String ADMIN_PASSWORD = "admin-password-for-tests";

    private static final Jsonb JSONB = JsonbBuilder.create();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Path home;
    private final Path jdk;
    private final int port;
    private final int managementPort;
    private final Path log;
    private final Path work;
    private final Path kcadmConfig;
    private final Path kcadmOutput;
    private Process process;
    /** Kills Keycloak if the test JVM exits without {@link #close()} (a timeout, a crash in @AfterAll): no orphan keeps its ports. */
    private final Thread shutdownHook = new Thread(this::killQuietly, "keycloak-kill");

    /** The tokens the token endpoint answers with. */
    public record Tokens(String accessToken, String refreshToken, long expiresIn) { }

    private KeycloakServer(Path home, Path jdk, int port, int managementPort, Path log, Path work) {
        this.home = home;
        this.jdk = jdk;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
        this.work = work;
        this.kcadmConfig = work.resolve("kcadm.config");
        this.kcadmOutput = work.resolve("kcadm.out");
    }

    /**
     * Starts Keycloak and returns once its management port answers {@code /health/ready} with 200
     * and kcadm is logged in as the bootstrap admin.
     *
     * @throws IllegalStateException when the home or the JDK is missing, the process exits, or it is
     *                               not ready within {@link #START_TIMEOUT}; with the log's tail
     */
    public static KeycloakServer start() {
        Path home = requiredDirectory("chat.keycloak.home", "bin/kc.sh", "the Keycloak distribution (run with -Pkeycloak)");
        Path jdk = requiredDirectory("chat.keycloak.java", "bin/java", "a JDK 21+ for Keycloak (the keycloak profile's keycloak.java)");
        requireJava21(jdk);
        KeycloakServer server;
        try {
            Path logs = Files.createDirectories(Path.of("target", "keycloak-logs"));
            server = new KeycloakServer(home, jdk, freePort(), freePort(),
                    Files.createTempFile(logs.toAbsolutePath(), "keycloak-", ".log"), Files.createTempDirectory("keycloak-test-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            server.startProcess();
            server.awaitReady();
            server.kcadm("config", "credentials", "--server", server.base().toString(), "--realm", "master",
                    "--user", ADMIN_USER, "--password", ADMIN_PASSWORD);
        } catch (RuntimeException | Error e) {
            server.closeAfterFailure(e);
            throw e;
        }
        return server;
    }

    private static Path requiredDirectory(String property, String inside, String what) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("-D" + property + " is not set: it names " + what);
        }
        Path dir = Path.of(value);
        if (!Files.isRegularFile(dir.resolve(inside))) {
            throw new IllegalStateException("-D" + property + "=" + value + " has no " + inside + ": it must name " + what);
        }
        return dir;
    }

    /** Keycloak 26 on an older JDK dies at start with a class version error; this says why first. */
    private static void requireJava21(Path jdk) {
        Path release = jdk.resolve("release");
        String version = null;
        try {
            for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("-Dchat.keycloak.java=" + jdk + ": cannot read " + release + " to check it is Java 21+", e);
        }
        if (version == null || !version.matches("\\d+.*") || Integer.parseInt(version.split("[^0-9]", 2)[0]) < 21) {
            throw new IllegalStateException("-Dchat.keycloak.java=" + jdk + " is Java " + version + ": Keycloak 26 needs 21 or later");
        }
    }

    private void startProcess() {
        List<String> command = List.of("bash", home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1",
                "--http-port=" + port,
                "--http-management-port=" + managementPort,
                "--db=dev-mem",
                "--health-enabled=true");
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                // a file, not a pipe: nobody has to drain it, and it outlives us for the failure message
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        environment(pb);
        pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USER);
        pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command + logTail(), e);
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private synchronized void killQuietly() {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** What kc.sh and kcadm.sh share: the JDK, and no KC_ or KEYCLOAK_ settings leaking in from outside. */
    private void environment(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(name -> name.startsWith("KC_") || name.startsWith("KEYCLOAK_") || name.startsWith("JAVA_OPTS"));
        env.put("JAVA_HOME", jdk.toString());
        // On Java 24+ JBoss Threads needs java.lang opened to reset thread locals; without it every
        // worker thread that ends (at shutdown, after an error) logs an IllegalAccessError.
        env.put("JAVA_OPTS_APPEND", "--add-opens=java.base/java.lang=ALL-UNNAMED");
    }

    private void awaitReady() {
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        long started = System.nanoTime();
        long deadline = started + START_TIMEOUT.toNanos();
        String last = "no answer yet";
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + " before it was ready" + logTail());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    System.out.printf("Keycloak ready on %s after %d ms (log: %s)%n", base(),
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), log);
                    return;
                }
                last = "HTTP " + r.statusCode() + " " + r.body();
            } catch (IOException notYet) {
                last = notYet.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak" + logTail(), e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Keycloak not ready at " + ready + " after " + START_TIMEOUT.toSeconds()
                        + " s (last: " + last + ")" + logTail());
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak" + logTail(), e);
            }
        }
    }

    /** http://127.0.0.1:PORT, no trailing slash. */
    public URI base() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The realm's issuer, as its tokens' {@code iss} and its discovery document say it. */
    public URI issuer(String realm) {
        return URI.create(base() + "/realms/" + realm);
    }

    public URI tokenEndpoint(String realm) {
        return URI.create(issuer(realm) + "/protocol/openid-connect/token");
    }

    /** Where Keycloak's output goes (kept after {@link #close()}). */
    public Path log() {
        return log;
    }

    /** An enabled realm whose access tokens live {@code accessTokenLifespanSeconds}. */
    public void createRealm(String realm, int accessTokenLifespanSeconds) {
        kcadm("create", "realms", "-s", "realm=" + realm, "-s", "enabled=true",
                "-s", "accessTokenLifespan=" + accessTokenLifespanSeconds);
    }

    /**
     * The page's client: public (no secret), authorization code flow with PKCE S256 only (no
     * password grant), redirecting to {@code redirectUri} after sign-in and sign-out, and allowing
     * {@code webOrigin} to call the token endpoint (CORS: the page trades the code by fetch). Its
     * access tokens carry {@code audience} in {@code aud}; {@code preferred_username} and
     * {@code realm_access.roles} come from the realm's default client scopes {@code profile} and
     * {@code roles}.
     */
    public void createPublicClient(String realm, String clientId, String redirectUri, String webOrigin, String audience) {
        String id = kcadm("create", "clients", "-r", realm, "-i",
                "-s", "clientId=" + clientId,
                "-s", "publicClient=true",
                "-s", "standardFlowEnabled=true",
                "-s", "directAccessGrantsEnabled=false",
                "-s", "implicitFlowEnabled=false",
                "-s", "attributes.\"pkce.code.challenge.method\"=S256",
                "-s", "attributes.\"post.logout.redirect.uris\"=" + redirectUri,
                "-s", "redirectUris=" + JSONB.toJson(List.of(redirectUri)),
                "-s", "webOrigins=" + JSONB.toJson(List.of(webOrigin))).strip();
        addAudienceMapper(realm, id, audience);
    }

    /**
     * A public client for tests that need tokens without a browser: the password grant only
     * ({@link #passwordGrant}), its access tokens carrying {@code audience} in {@code aud}.
     */
    public void createTestClient(String realm, String clientId, String audience) {
        String id = kcadm("create", "clients", "-r", realm, "-i",
                "-s", "clientId=" + clientId,
                "-s", "publicClient=true",
                "-s", "standardFlowEnabled=false",
                "-s", "directAccessGrantsEnabled=true").strip();
        addAudienceMapper(realm, id, audience);
    }

    /** Keycloak puts only clients with roles in {@code aud}; this mapper names the resource server we are. */
    private void addAudienceMapper(String realm, String clientUuid, String audience) {
        kcadm("create", "clients/" + clientUuid + "/protocol-mappers/models", "-r", realm,
                "-s", "name=audience-" + audience,
                "-s", "protocol=openid-connect",
                "-s", "protocolMapper=oidc-audience-mapper",
                "-s", "config.\"included.custom.audience\"=" + audience,
                "-s", "config.\"access.token.claim\"=true",
                "-s", "config.\"id.token.claim\"=false",
                "-s", "config.\"introspection.token.claim\"=true");
    }

    public void createRealmRole(String realm, String role) {
        kcadm("create", "roles", "-r", realm, "-s", "name=" + role);
    }

    /**
     * An enabled user whose first sign-in goes straight through: e-mail verified, first and last
     * name set (Keycloak 26's user profile asks for them otherwise), no required actions, and a
     * password that is not temporary. The realm roles must exist.
     */
    public void createUser(String realm, String username, String email, String password, String... realmRoles) {
        String first = username.split("@", 2)[0];
        kcadm("create", "users", "-r", realm,
                "-s", "username=" + username,
                "-s", "enabled=true",
                "-s", "email=" + email,
                "-s", "emailVerified=true",
                "-s", "firstName=" + Character.toUpperCase(first.charAt(0)) + first.substring(1),
                "-s", "lastName=Tester",
                "-s", "requiredActions=[]");
        kcadm("set-password", "-r", realm, "--username", username, "--new-password", password);
        for (String role : realmRoles) {
            kcadm("add-roles", "-r", realm, "--uusername", username, "--rolename", role);
        }
    }

    /** The resource owner password grant against {@code clientId} (a {@link #createTestClient} one). */
    public Tokens passwordGrant(String realm, String clientId, String username, String password) {
        return tokenRequest(realm, Map.of("grant_type", "password", "client_id", clientId, "username", username, "password", password));
    }

    /** Trades a refresh token (from {@link #passwordGrant}) for new tokens. */
    public Tokens refreshGrant(String realm, String clientId, String refreshToken) {
        return tokenRequest(realm, Map.of("grant_type", "refresh_token", "client_id", clientId, "refresh_token", refreshToken));
    }

    @SuppressWarnings("unchecked")
    private Tokens tokenRequest(String realm, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(tokenEndpoint(realm)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r;
        try {
            r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("token request to " + tokenEndpoint(realm) + " failed (log: " + log + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(form.get("grant_type") + " grant at " + tokenEndpoint(realm) + " answered "
                    + r.statusCode() + ": " + r.body() + " (log: " + log + ")");
        }
        Map<String, Object> json = JSONB.fromJson(r.body(), Map.class);
        return new Tokens((String) json.get("access_token"), (String) json.get("refresh_token"),
                ((Number) json.get("expires_in")).longValue());
    }

    /**
     * Runs {@code bin/kcadm.sh} with this instance's config file and returns its output.
     *
     * @throws IllegalStateException for a non-zero exit or a timeout, with the command (the admin
     *                               password masked) and its output
     */
    public String kcadm(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", home.resolve("bin/kcadm.sh").toString()));
        command.addAll(Arrays.asList(args));
        // this instance's own login, never ~/.keycloak/kcadm.config (another Keycloak's, or a person's)
        command.addAll(List.of("--config", kcadmConfig.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(kcadmOutput.toFile());
        environment(pb);
        String shown = masked(args);
        try {
            Process p = pb.start();
            if (!p.waitFor(KCADM_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("kcadm " + shown + " timed out after " + KCADM_TIMEOUT.toSeconds() + " s:\n"
                        + Files.readString(kcadmOutput) + logTail());
            }
            String output = Files.readString(kcadmOutput);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("kcadm " + shown + " exited with " + p.exitValue() + ":\n" + output
                        + "\n(Keycloak log: " + log + ")");
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("could not run kcadm " + shown, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during kcadm " + shown, e);
        }
    }

    /** The arguments as they may be shown: the values of --password and --new-password replaced. */
    private static String masked(String... args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            boolean secret = i > 0 && (args[i - 1].equals("--password") || args[i - 1].equals("--new-password"));
            out.add(secret ? "****" : args[i]);
        }
        return String.join(" ", out);
    }

    /** Stops Keycloak: SIGTERM to kc.sh (which relays it to its JVM), then SIGKILL to what is left. */
    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shutdownInProgress) {
            // the hook runs anyway and finds nothing left to do
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList()); // listed first: afterwards they are init's
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                System.out.println("Keycloak did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM; killing it (log: " + log + ")");
            }
            tree.add(process.toHandle());
            for (ProcessHandle p : tree) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                    p.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tree.forEach(ProcessHandle::destroyForcibly);
        } catch (Exception e) {
            throw new IllegalStateException("Keycloak's processes did not end after SIGKILL (log: " + log + ")", e);
        } finally {
            process = null;
            deleteWork();
        }
    }

    /** The kcadm config holds the admin's tokens: gone with the instance (best effort). The log stays. */
    private void deleteWork() {
        try (Stream<Path> files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a leftover temp dir is no failure of the test
        }
    }

    private void closeAfterFailure(Throwable failure) {
        try {
            close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The last {@value #LOG_TAIL_LINES} lines of Keycloak's log, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\n--- last " + LOG_TAIL_LINES + " lines of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "\n(could not read " + log + ": " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The claims of a JWT's payload, unverified: for tests that look at what Keycloak put in a token. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> claims(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a JWS compact serialization");
        }
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        return new LinkedHashMap<>(JSONB.fromJson(payload, Map.class));
    }
}
