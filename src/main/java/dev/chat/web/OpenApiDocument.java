package dev.chat.web;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET api/openapi.json}: the OpenAPI 3.1 document of every HTTP endpoint and of the webhooks,
 * kept by hand in {@value #RESOURCE} and proven against the server's real answers by
 * {@code OpenApiTest}. Read once when the API is built; only {@code info.version} is filled in, with
 * the version {@code api/protocol} serves, so a client can tell which server the document describes.
 */
final class OpenApiDocument {
    static final String RESOURCE = "/dev/chat/web/openapi.json";

    private OpenApiDocument() {
    }

    /**
     * The document as served (compact JSON) with {@code info.version} set to {@code version}.
     *
     * @throws IllegalStateException when the resource is missing or is no JSON object: a broken build, refused at start
     */
    static String load(String version) {
        try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the build lacks " + RESOURCE);
            }
            JsonObject document;
            try (JsonReader reader = Json.createReader(in)) {
                document = reader.readObject();
            }
            JsonObject info = Json.createObjectBuilder(document.getJsonObject("info")).add("version", version).build();
            return Json.createObjectBuilder(document).add("info", info).build().toString();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        } catch (JsonException | ClassCastException | NullPointerException e) {
            throw new IllegalStateException(RESOURCE + " is not an OpenAPI document with an info object", e);
        }
    }
}
