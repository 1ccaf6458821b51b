package dev.chat.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * WildFly ({@code -Dchat.wildfly.home}, unpacked by the {@code containers} profile) started with its
 * own {@code bin/standalone.sh} (run through bash, so the unpacked file modes do not matter) on a
 * fresh copy of {@code standalone/} ({@code -Djboss.server.base.dir}), with {@code chat.war} in that
 * copy's {@code deployments/}, every socket on 127.0.0.1 and on a free port.
 */
public final class WildFlyServer extends DeployedServer {
    private final Path home = requiredPath("chat.wildfly.home");
    private final Path base = work.resolve("standalone");
    private final Path modules = work.resolve("modules");
    private final PostgresDataSource dataSource;
    private Duration idleTimeout;
    private final int managementPort;

    /**
     * A PostgreSQL DataSource bound at {@code jndiName} before any deployment starts, its driver
     * a module (the documented way; a driver deployed beside the WAR would race its start).
     */
    public record PostgresDataSource(String jndiName, String jdbcUrl, String user, Path driverJar) { }

    public WildFlyServer(Map<String, String> settings) {
        this(settings, null);
    }

    public WildFlyServer(Map<String, String> settings, PostgresDataSource dataSource) {
        super("wildfly", settings);
        this.dataSource = dataSource;
        try {
            this.managementPort = freePort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The driver module under this run's own module root and the DataSource in its standalone.xml,
     * as the README's recipe makes it: connections checked when handed out and dropped on a
     * connection error, or after a database restart the pool keeps handing out dead ones.
     */
    private void addDataSource() throws IOException {
        Path module = Files.createDirectories(modules.resolve("org/postgresql/main"));
        Files.copy(dataSource.driverJar(), module.resolve("postgresql.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(module.resolve("module.xml"), """
                <module xmlns="urn:jboss:module:1.9" name="org.postgresql">
                  <resources><resource-root path="postgresql.jar"/></resources>
                  <dependencies><module name="java.sql"/><module name="java.logging"/><module name="java.naming"/><module name="java.management"/><module name="java.security.jgss"/><module name="jakarta.transaction.api"/></dependencies>
                </module>
                """);
        String ds = """
                <datasource jndi-name="%s" pool-name="ChatDS" enabled="true" use-java-context="true">
                    <connection-url>%s</connection-url>
                    <driver>postgresql</driver>
                    <security user-name="%s"/>
                    <validation>
                        <valid-connection-checker class-name="org.jboss.jca.adapters.jdbc.extensions.postgres.PostgreSQLValidConnectionChecker"/>
                        <validate-on-match>true</validate-on-match>
                        <background-validation>false</background-validation>
                        <exception-sorter class-name="org.jboss.jca.adapters.jdbc.extensions.postgres.PostgreSQLExceptionSorter"/>
                    </validation>
                </datasource>
                <drivers>
                    <driver name="postgresql" module="org.postgresql"><driver-class>org.postgresql.Driver</driver-class></driver>
                """.formatted(dataSource.jndiName(), dataSource.jdbcUrl(), dataSource.user());
        replaceInStandaloneXml("<drivers>", ds);
    }

    /**
     * The README's recipe for HTTP timeouts in the WAR on WildFly: the HTTP listener's
     * {@code request-parse-timeout} (headers) and {@code no-request-timeout} (a connection with no
     * request, new or kept alive), written into this run's standalone.xml as the CLI would.
     */
    public WildFlyServer idleTimeout(Duration timeout) {
        this.idleTimeout = timeout;
        return this;
    }

    private void setIdleTimeout() throws IOException {
        String listener = "<http-listener name=\"default\"";
        replaceInStandaloneXml(listener, listener + " request-parse-timeout=\"" + idleTimeout.toMillis()
                + "\" no-request-timeout=\"" + idleTimeout.toMillis() + "\"");
    }

    /**
     * The README's recipe: a config source of the microprofile-config-smallrye subsystem
     * ({@code /subsystem=microprofile-config-smallrye/config-source=chat:add(properties={...})}),
     * written into this run's standalone.xml as the CLI would.
     */
    private void addConfigSource() throws IOException {
        StringBuilder source = new StringBuilder("<subsystem xmlns=\"urn:wildfly:microprofile-config-smallrye:2.0\"><config-source name=\"chat\">");
        containerConfig.forEach((name, value) -> source.append("<property name=\"").append(name).append("\" value=\"").append(value).append("\"/>"));
        source.append("</config-source></subsystem>");
        replaceInStandaloneXml("<subsystem xmlns=\"urn:wildfly:microprofile-config-smallrye:2.0\"/>", source.toString());
    }

    /**
     * The README's recipe: WildFly's standalone.xml has only its own health subsystem ("deployment
     * OK"); MicroProfile Health, which runs the WAR's checks, is the microprofile-health-smallrye
     * subsystem ({@code /extension=org.wildfly.extension.microprofile.health-smallrye:add},
     * {@code /subsystem=microprofile-health-smallrye:add(security-enabled=false)}), as standalone-microprofile.xml has it.
     */
    private void addMicroProfileHealth() throws IOException {
        String extension = "<extension module=\"org.wildfly.extension.health\"/>";
        String subsystem = "<subsystem xmlns=\"urn:wildfly:health:1.0\" security-enabled=\"false\"/>";
        replaceInStandaloneXml(extension, extension + "<extension module=\"org.wildfly.extension.microprofile.health-smallrye\"/>");
        replaceInStandaloneXml(subsystem, subsystem + "<subsystem xmlns=\"urn:wildfly:microprofile-health-smallrye:3.0\" security-enabled=\"false\"/>");
    }

    /**
     * One edit of this run's standalone.xml, as the README's CLI command would make it: the first
     * {@code anchor} becomes {@code replacement}; a file without it (another WildFly layout) fails the start, saying so.
     */
    private void replaceInStandaloneXml(String anchor, String replacement) throws IOException {
        Path xml = base.resolve("configuration").resolve("standalone.xml");
        String config = Files.readString(xml);
        int at = config.indexOf(anchor);
        if (at < 0) {
            throw new IllegalStateException("standalone.xml has no " + anchor + " to extend");
        }
        Files.writeString(xml, config.substring(0, at) + replacement + config.substring(at + anchor.length()));
    }

    @Override
    public URI containerHealth(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + "/" + path);
    }

    @Override
    public String describe() {
        return "WildFly " + System.getProperty("chat.wildfly.version", "?");
    }

    @Override
    protected List<String> command(List<String> systemProperties) throws IOException {
        copyTree(home.resolve("standalone"), base);
        Files.copy(war, base.resolve("deployments").resolve(DeployedServer.CONTEXT + ".war"), StandardCopyOption.REPLACE_EXISTING);
        if (dataSource != null) {
            addDataSource();
        }
        if (idleTimeout != null) {
            setIdleTimeout();
        }
        if (!containerConfig.isEmpty()) {
            addConfigSource();
        }
        addMicroProfileHealth();
        List<String> cmd = new ArrayList<>(List.of("bash", home.resolve("bin").resolve("standalone.sh").toString(),
                "-Djboss.server.base.dir=" + base,
                "-b", "127.0.0.1",
                "-bmanagement", "127.0.0.1",
                "-Djboss.http.port=" + httpPort,
                "-Djboss.https.port=" + freePort(),
                "-Djboss.management.http.port=" + managementPort,
                "-Djboss.management.https.port=" + freePort()));
        // standalone.sh hands -D arguments to the server JVM as system properties
        cmd.addAll(systemProperties);
        return cmd;
    }

    @Override
    protected ProcessBuilder environment(ProcessBuilder pb) {
        pb.environment().put("JBOSS_HOME", home.toString());
        pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        // Foreground mode: with LAUNCH_JBOSS_IN_BACKGROUND the script relays SIGTERM, but its
        // `wait` loop then spins for ever ("received TERM signal") once the JVM has exited with 143.
        pb.environment().remove("LAUNCH_JBOSS_IN_BACKGROUND");
        pb.environment().put("NOPAUSE", "true");
        if (dataSource != null) {
            pb.environment().put("JBOSS_MODULEPATH", modules + java.io.File.pathSeparator + home.resolve("modules"));
        }
        return pb;
    }

    /** SIGTERM to the server JVM, the script's child; the script ends when its JVM does. */
    @Override
    protected void terminate(Process started) {
        List<ProcessHandle> jvms = started.children().toList();
        if (jvms.isEmpty()) {
            started.destroy();
        } else {
            jvms.forEach(ProcessHandle::destroy);
        }
    }

    @Override
    protected List<Path> extraLogs() {
        return List.of(base.resolve("log").resolve("server.log"));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            all.forEach(p -> {
                Path target = to.resolve(from.relativize(p).toString());
                try {
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
