package dev.chat.embedded;

import dev.chat.config.EnvironmentSettings;
import dev.chat.config.MicroProfileSettings;
import dev.chat.config.Settings;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.file.FileSystemConfigSource;
import java.io.File;

/**
 * The jar's settings: MicroProfile Config through SmallRye Config (WildFly's implementation), so
 * the jar reads the same sources by the same rules as the WAR in a container: system properties
 * (400), the environment (300), the files of {@code CHAT_CONFIG_DIR} (a Kubernetes Secret or
 * ConfigMap mounted as a directory: each file a setting, named {@code CHAT_JWT_SECRET} or
 * {@code chat.jwt.secret}, its content the value; 200) and {@code META-INF/microprofile-config.properties}
 * on the class path (100).
 */
final class JarSettings {
    /** Above the class path's file, below the environment: a mounted Secret is the deployment's, an env var the operator's override. */
    static final int CONFIG_DIR_ORDINAL = 200;

    static Settings load() {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().addDefaultSources();
        // the directory is itself a setting, so it can only come from the sources that need no directory
        String dir = EnvironmentSettings.ofThisProcess().value("CHAT_CONFIG_DIR");
        if (dir != null && !dir.isBlank()) {
            // a missing directory is ChatConfig's to report, with every other problem
            builder.withSources(new FileSystemConfigSource(new File(dir.trim()), CONFIG_DIR_ORDINAL));
        }
        return new MicroProfileSettings(builder.build());
    }

    private JarSettings() {
    }
}
