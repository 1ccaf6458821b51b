package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped jar ({@code target/chat-server.jar}) run as a separate process, as an operator runs
 * it: several of them form a cluster in one test. Collects the process's output for assertions.
 */
public final class JarNode implements AutoCloseable {
    public static final Path JAR = Path.of(System.getProperty("chat.serverJar", "target/chat-server.jar"));
    private static final Pattern LISTENING = Pattern.compile("chat-server listening on (http://127\\.0\\.0\\.1:(\\d+)/)");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final Process process;
    private final List<String> output;
    private final String base;
    private final Thread reader;

    private JarNode(Process process, List<String> output, String base, Thread reader) {
        this.process = process;
        this.output = output;
        this.base = base;
        this.reader = reader;
    }

    /** Starts the jar with these settings; the future is its URL, or null if it exited before listening. */
    public static JarNode start(Map<String, String> env) throws Exception {
        return start(env, List.of());
    }

    /** The same, with extra JVM options (a logging config, say). */
    public static JarNode start(Map<String, String> env, List<String> jvmOptions) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.directory(Files.createTempDirectory("chat-node-").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("CHAT_"));
        pb.environment().put("CHAT_PORT", "0");
        pb.environment().put("CHAT_REGISTER_MAX_PER_ADDRESS", "100000"); // every test client registers from 127.0.0.1
        pb.environment().put("CHAT_ROOM_RATE_PER_SEC", "1000000"); // tests that raise CHAT_RATE_PER_SEC mean the room too
        pb.environment().put("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "100000"); // and connects from it
        pb.environment().put("CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "100000");
        pb.environment().putAll(env);
        Process process = pb.start();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        url.complete(m.group(1));
                    }
                }
            } catch (Exception e) {
                // the process ended
            } finally {
                url.complete(null);
            }
        }, "jar-node-output");
        reader.setDaemon(true);
        reader.start();
        return new JarNode(process, output, url.get(60, TimeUnit.SECONDS), reader);
    }

    /** The URL it printed, or null when it exited before listening. */
    public String base() {
        return base;
    }

    public Process process() {
        return process;
    }

    /** What it printed so far; once it has exited, everything (the output is read to its end first). */
    public String log() {
        if (!process.isAlive()) {
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Registers (201) and logs in a user; the password is derived from the name. */
    public String token(String user) throws Exception {
        assertEquals(201, post("api/register", TestServer.credentials(user, "password-" + user)).statusCode(), this::log);
        return login(user);
    }

    public String login(String user) throws Exception {
        HttpResponse<String> login = post("api/login", TestServer.credentials(user, "password-" + user));
        assertEquals(200, login.statusCode(), login::body);
        return (String) TestServer.json(login.body()).get("token");
    }

    public URI ws(String token) {
        return URI.create(base.replace("http://", "ws://") + "ws?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    /** A connected client that has read its welcome frame. */
    public WsClient client(String token) throws Exception {
        WsClient client = WsClient.connect(ws(token), Map.of());
        client.welcome();
        return client;
    }

    /** SIGTERM: a graceful stop. */
    public void stop() throws InterruptedException {
        process.destroy();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** SIGKILL: a crash, no shutdown at all. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
