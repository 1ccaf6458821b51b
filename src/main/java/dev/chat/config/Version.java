package dev.chat.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This build's version, as the pom says: printed at start and served in {@code /api/protocol}. */
public final class Version {
    private static final String VERSION = read();

    private Version() {
    }

    public static String current() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("/dev/chat/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v; // an unfiltered copy (an IDE's build)
        } catch (IOException e) {
            return "unknown";
        }
    }
}
