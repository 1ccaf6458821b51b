package dev.chat.config;

import java.util.Map;
import java.util.Properties;

/**
 * Settings from environment variables ({@code CHAT_PORT}) and system properties ({@code chat.port}),
 * the property winning: what the node read before MicroProfile Config, and what it reads where
 * there is none (tests, a servlet container without it).
 */
public final class EnvironmentSettings implements Settings {
    private final Map<String, String> env;
    private final Properties props;

    public EnvironmentSettings(Map<String, String> env, Properties props) {
        this.env = env;
        this.props = props;
    }

    /** This process's environment and system properties. */
    public static EnvironmentSettings ofThisProcess() {
        return new EnvironmentSettings(System.getenv(), System.getProperties());
    }

    @Override
    public String value(String name) {
        String value = props.getProperty(Settings.propertyName(name));
        return value != null ? value : env.get(name);
    }
}
