package dev.chat.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Payara Micro ({@code -Dchat.payara.jar}, copied by the {@code containers} profile) running
 * {@code java -jar payara-micro.jar --deploy chat.war}: no clustering, its own root directory, and
 * the HTTP listener bound to 127.0.0.1 by a post-boot command (Payara Micro has no bind option).
 */
public final class PayaraMicroServer extends DeployedServer {
    private final Path jar = requiredPath("chat.payara.jar");
    private final List<String> postBoot;
    private final List<Path> libs;
    private Duration idleTimeout;

    public PayaraMicroServer(Map<String, String> settings) {
        this(settings, List.of(), List.of());
    }

    /** With asadmin commands run after boot, before the deployment (a JDBC pool, say), and jars for the server's classpath. */
    public PayaraMicroServer(Map<String, String> settings, List<String> postBoot, List<Path> libs) {
        super("payara", settings);
        this.postBoot = List.copyOf(postBoot);
        this.libs = List.copyOf(libs);
    }

    /**
     * The README's recipe for HTTP timeouts in the WAR on Payara: the HTTP listener's keep-alive
     * idle timeout, which Grizzly also arms at the accept, so a socket that sends nothing is closed.
     */
    public PayaraMicroServer idleTimeout(Duration timeout) {
        this.idleTimeout = timeout;
        return this;
    }

    /** Payara's own MicroProfile Health endpoint: on the HTTP listener, outside the WAR's context root. */
    @Override
    public URI containerHealth(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + "/" + path);
    }

    @Override
    public String describe() {
        return "Payara Micro " + System.getProperty("chat.payara.version", "?");
    }

    @Override
    protected List<String> command(List<String> systemProperties) throws IOException {
        // before boot, so the listener is created on 127.0.0.1; changing it after boot restarts the
        // listener, which sometimes fails under load ("GrizzlyProxy is NULL") and leaves nothing listening
        String commands = "set configs.config.server-config.network-config.network-listeners.network-listener.http-listener.address=127.0.0.1\n";
        if (idleTimeout != null) {
            commands += "set configs.config.server-config.network-config.protocols.protocol.http-listener.http.timeout-seconds="
                    + idleTimeout.toSeconds() + "\n";
        }
        Path preBoot = Files.writeString(work.resolve("pre-boot.asadmin"), commands, StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("-Xmx512m");
        cmd.addAll(systemProperties);
        cmd.addAll(List.of("-jar", jar.toString(),
                "--nohazelcast",
                "--rootdir", work.resolve("payara-root").toString(),
                "--port", Integer.toString(httpPort),
                "--contextroot", CONTEXT,
                "--prebootcommandfile", preBoot.toString()));
        List<String> afterBoot = new ArrayList<>(postBoot);
        // the README's recipe: Payara's domain-wide config source (set-config-property), before the deployment reads it
        containerConfig.forEach((name, value) -> afterBoot.add(
                "set-config-property --source=domain --propertyName=" + name + " --propertyValue=" + value));
        if (!afterBoot.isEmpty()) {
            Path file = Files.writeString(work.resolve("post-boot.asadmin"), String.join("\n", afterBoot) + "\n", StandardCharsets.UTF_8);
            cmd.addAll(List.of("--postbootcommandfile", file.toString()));
        }
        for (Path lib : libs) {
            cmd.addAll(List.of("--addlibs", lib.toString()));
        }
        cmd.addAll(List.of("--deploy", war.toString()));
        return cmd;
    }
}
