package dev.chat.embedded;

import dev.chat.config.ConfigException;
import dev.chat.config.EnvironmentSettings;
import dev.chat.config.MicroProfileSettings;
import dev.chat.config.Settings;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSourceLoader;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SysPropConfigSource;
import io.smallrye.config.source.file.FileSystemConfigSource;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The jar's settings: MicroProfile Config through SmallRye Config (WildFly's implementation), so
 * the jar reads the same sources by the same rules as the WAR in a container: system properties
 * (400), the environment (300), the files of {@code CHAT_CONFIG_DIR} (a Kubernetes Secret or
 * ConfigMap mounted as a directory: each file a setting, named {@code CHAT_JWT_SECRET} or
 * {@code chat.jwt.secret}, its content the value; 200) and {@code META-INF/microprofile-config.properties}
 * on the class path (100). These four only, named one by one: SmallRye's defaults also read a
 * {@code .env} and {@code application.properties} files from the working directory, which nobody
 * would expect to outrank a mounted Secret.
 */
final class JarSettings {
    /** Above the class path's file, below the environment: a mounted Secret is the deployment's, an env var the operator's override. */
    static final int CONFIG_DIR_ORDINAL = 200;

    static Settings load() {
        ClassLoader loader = JarSettings.class.getClassLoader();
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withSources(new SysPropConfigSource(), new EnvConfigSource(System.getenv(), 300))
                .withSources(PropertiesConfigSourceLoader.inClassPath("META-INF/microprofile-config.properties", 100, loader));
        // the directory is itself a setting, so it can only come from the sources that need no directory
        String dir = EnvironmentSettings.ofThisProcess().value("CHAT_CONFIG_DIR");
        if (dir != null && !dir.isBlank() && Files.isDirectory(Path.of(dir.trim()))) {
            FileSystemConfigSource files = new FileSystemConfigSource(new File(dir.trim()), CONFIG_DIR_ORDINAL);
            requireEveryFileRead(Path.of(dir.trim()), files);
            builder.withSources(files);
        } // a missing directory is ChatConfig's to report, with every other problem
        return new MicroProfileSettings(builder.build());
    }

    /**
     * SmallRye's file-system source logs a file it cannot read and then gives none of the
     * directory's settings: the node would start on defaults (a random key, open metrics). A file
     * that is not read stops the start instead, naming it.
     */
    private static void requireEveryFileRead(Path dir, ConfigSource source) {
        Set<String> read = source.getPropertyNames();
        List<String> missed;
        try (Stream<Path> entries = Files.list(dir)) {
            missed = entries.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(name -> !read.contains(name)).sorted().toList();
        } catch (IOException e) {
            throw new ConfigException(List.of("CHAT_CONFIG_DIR=" + dir + " cannot be listed: " + e.getMessage()));
        }
        if (!missed.isEmpty()) {
            throw new ConfigException(List.of("CHAT_CONFIG_DIR=" + dir + ": these files could not be read (permissions, or not UTF-8 text): "
                    + missed));
        }
    }

    private JarSettings() {
    }
}
