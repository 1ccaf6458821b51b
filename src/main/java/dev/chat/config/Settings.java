package dev.chat.config;

/**
 * Where the node's settings come from, each by its name ({@code CHAT_PORT}). The sources and their
 * precedence are the implementation's: {@link EnvironmentSettings} (the process's environment and
 * system properties) or {@link MicroProfileSettings} (MicroProfile Config: the container's in the
 * WAR, SmallRye Config in the jar). {@link ChatConfig} reads and validates whatever it is given.
 */
public interface Settings {
    /** The raw value of a setting; {@code ""} when it is set blank (for some settings "none"), null when absent. */
    String value(String name);

    /** The dotted form of a setting's name, {@code CHAT_DB_JNDI} to {@code chat.db.jndi}: system properties use it. */
    static String propertyName(String name) {
        return name.toLowerCase(java.util.Locale.ROOT).replace('_', '.');
    }
}
