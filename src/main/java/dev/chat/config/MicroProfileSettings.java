package dev.chat.config;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Settings from MicroProfile Config's sources: in the WAR the container's own (Payara's, WildFly's,
 * for this application), in the jar SmallRye Config's ({@code embedded.JarSettings}). The source
 * with the highest ordinal that has a setting gives its value, as MicroProfile Config orders them:
 * system properties (400), the environment (300), the container's own sources, a directory of
 * files, {@code META-INF/microprofile-config.properties} (100). Each source is asked for the
 * dotted name ({@code chat.db.jndi}; the environment source maps it to {@code CHAT_DB_JNDI}, the
 * file-system source to a file of either name), then for the name itself ({@code CHAT_DB_JNDI}),
 * for sources that match keys exactly.
 *
 * <p>Values are read from the sources as written: not through {@code Config.getValue}, which
 * expands {@code ${...}} expressions, so a password or a secret holding {@code ${} is taken as is
 * (and an unknown expression cannot fail the start).
 */
public final class MicroProfileSettings implements Settings {
    private final Config config;

    public MicroProfileSettings(Config config) {
        this.config = config;
    }

    @Override
    public String value(String name) {
        String dotted = Settings.propertyName(name);
        for (ConfigSource source : config.getConfigSources()) { // highest ordinal first
            String value = source.getValue(dotted);
            if (value == null) {
                value = source.getValue(name);
            }
            if (value != null) {
                return value;
            }
        }
        return null;
    }
}
