package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAPI document's schemas as validators: a JSON text against the schema at a JSON pointer of
 * the document ({@code /components/schemas/Room}, a response's {@code .../content/application~1json/schema}),
 * in OpenAPI 3.1's dialect with {@code format} asserted (a {@code ts} that is no date-time fails).
 * References resolve inside the document, which the registry holds under {@link #BASE}: nothing is fetched.
 */
public final class OpenApiSchemas {
    /** The document's base URI for the validator; never resolved over the network (the registry maps it). */
    private static final String BASE = "https://chat.invalid/openapi.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JsonNode document;
    private final SchemaRegistry registry;

    private OpenApiSchemas(String json) {
        this.document = JSON.readTree(json);
        this.registry = SchemaRegistry.withDialect(Dialects.getOpenApi31(), b -> b.schemas(Map.of(BASE, json))
                .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
    }

    /** The document as a server served it. */
    public static OpenApiSchemas of(String json) {
        return new OpenApiSchemas(json);
    }

    /** The document in the build ({@code src/main/resources/dev/chat/web/openapi.json}), before the server fills in its version. */
    public static OpenApiSchemas resource() {
        return of(resourceText());
    }

    public static String resourceText() {
        try (InputStream in = OpenApiSchemas.class.getResourceAsStream("/dev/chat/web/openapi.json")) {
            assertNotNull(in, "missing src/main/resources/dev/chat/web/openapi.json");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode document() {
        return document;
    }

    public static JsonNode parse(String json) {
        return JSON.readTree(json);
    }

    /** A JSON pointer of these reference tokens, each escaped ({@code ~0}, {@code ~1}). */
    public static String pointer(String... tokens) {
        StringBuilder out = new StringBuilder();
        for (String token : tokens) {
            out.append('/').append(token.replace("~", "~0").replace("/", "~1"));
        }
        return out.toString();
    }

    /** What is wrong with {@code json} by the schema at {@code pointer}; empty when it is valid. */
    public List<String> errors(String pointer, String json) {
        assertFalse(document.at(pointer).isMissingNode(), () -> "the document has no schema at " + pointer);
        Schema schema = registry.getSchema(SchemaLocation.of(BASE + "#" + pointer));
        return schema.validate(json, InputFormat.JSON).stream().map(Object::toString).toList();
    }

    public void assertValid(String pointer, String json, String what) {
        List<String> errors = errors(pointer, json);
        assertTrue(errors.isEmpty(), () -> what + ": " + json + " does not match " + pointer + ": " + errors);
    }
}
