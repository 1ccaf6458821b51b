package dev.chat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.file.FileSystemConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.Test;

/**
 * Settings through MicroProfile Config, with SmallRye Config's own sources at the ordinals they
 * have in the jar and in WildFly: the highest ordinal that has a setting wins, under either name.
 */
class MicroProfileSettingsTest {

    private static Settings of(ConfigSource... sources) {
        return new MicroProfileSettings(new SmallRyeConfigBuilder().withSources(sources).build());
    }

    private static ConfigSource properties(int ordinal, Map<String, String> values) {
        return new PropertiesConfigSource(values, "properties-" + ordinal, ordinal);
    }

    @Test
    void theHighestOrdinalThatHasTheSettingWinsUnderEitherName() {
        Settings settings = of(
                properties(400, Map.of("chat.port", "1")),
                new EnvConfigSource(Map.of("CHAT_PORT", "2", "CHAT_HOST", "0.0.0.0"), 300),
                properties(100, Map.of("CHAT_HOST", "10.0.0.1", "CHAT_NODE_ID", "n-1", "chat.data.dir", "/var/chat")));
        assertEquals("1", settings.value("CHAT_PORT"), "a system property over the environment");
        assertEquals("0.0.0.0", settings.value("CHAT_HOST"), "the environment over the properties file");
        assertEquals("n-1", settings.value("CHAT_NODE_ID"), "a key named as the environment names it, matched exactly");
        assertEquals("/var/chat", settings.value("CHAT_DATA_DIR"), "a key in the dotted form");
        assertNull(settings.value("CHAT_REDIS_URL"));
    }

    @Test
    void aDirectoryOfFilesGivesOneSettingPerFileWithoutItsLineBreak() throws Exception {
        Path dir = Files.createTempDirectory("chat-settings-");
        Files.writeString(dir.resolve("CHAT_JWT_SECRET"), "from-a-mounted-secret-0123456789abcdef\n");
        Files.writeString(dir.resolve("chat.public.rooms"), "lobby");
        Files.createDirectory(dir.resolve("..data")); // Kubernetes' own entries in a mounted volume are no settings
        Settings settings = of(new FileSystemConfigSource(dir.toFile(), 200), new EnvConfigSource(Map.of("CHAT_PUBLIC_ROOMS", "general"), 300));
        assertEquals("from-a-mounted-secret-0123456789abcdef", settings.value("CHAT_JWT_SECRET"));
        assertEquals("general", settings.value("CHAT_PUBLIC_ROOMS"), "the environment over the files");
        ChatConfig config = ChatConfig.load(settings);
        assertEquals(List.of("general"), config.publicRooms());
    }

    @Test
    void valuesAreTakenAsWrittenWithoutExpandingExpressions() {
        Settings settings = of(new EnvConfigSource(Map.of("CHAT_DB_PASSWORD", "pa${ss}word", "CHAT_JWT_SECRET", "${unknown}-0123456789abcdef0123456789"), 300));
        assertEquals("pa${ss}word", settings.value("CHAT_DB_PASSWORD"));
        ChatConfig config = ChatConfig.load(settings); // an expression nobody defines fails nothing
        assertEquals("pa${ss}word", config.dbPassword());
        assertEquals("${unknown}-0123456789abcdef0123456789", new String(config.jwtSecret(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aBlankValueIsPresentAndMeansNoneWhereNoneIsAValue() {
        Settings settings = of(new EnvConfigSource(Map.of("CHAT_PUBLIC_ROOMS", ""), 300));
        assertEquals("", settings.value("CHAT_PUBLIC_ROOMS"));
        assertEquals(List.of(), ChatConfig.load(settings).publicRooms());
    }

    @Test
    void everyProblemIsNamedAtOnceAsFromTheEnvironment() {
        Settings settings = of(new EnvConfigSource(Map.of("CHAT_PORT", "eighty"), 300), properties(100, Map.of("chat.token.ttl", "soon")));
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ChatConfig.load(settings));
        assertTrue(e.getMessage().contains("CHAT_PORT=eighty is invalid"), e::getMessage);
        assertTrue(e.getMessage().contains("CHAT_TOKEN_TTL=soon is invalid"), e::getMessage);
    }
}
