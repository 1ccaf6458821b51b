package dev.chat.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.event.RoomEvent;
import dev.chat.event.WebhookEvent;
import dev.chat.store.WebhookOutbox;
import dev.chat.testing.OpenApiSchemas;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The webhooks' wire: every event type encodes to its golden file in
 * {@code src/test/resources/golden/webhook/}, and every golden file matches the schema the OpenAPI
 * document gives its type (and the batch {@code WebhookBatch}), so the codec, the files and the
 * document cannot drift apart.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebhookCodecTest {
    private static final String EPOCH = "3f2b9c1e";
    private static final long TS = Instant.parse("2025-01-02T03:04:05.678Z").toEpochMilli();
    private static final String ALICE_AND_BOB = RoomEvent.directRoom("alice", "bob");
    private static final OpenApiSchemas DOCUMENT = OpenApiSchemas.resource();

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of("message-created", 41, new WebhookEvent.MessageCreated("general", 17, "alice", "hello", null, TS)),
                Arguments.of("message-created-reply", 42, new WebhookEvent.MessageCreated("general", 18, "bob", "yes, \"tomorrow\"\nat 9", 17L, TS)),
                // a bot writes to a user: the event names the user with to, never the internal room
                Arguments.of("message-created-direct-bot", 43, new WebhookEvent.MessageCreated(RoomEvent.directRoom("bot:hr", "alice"), 3,
                        "bot:hr", "welcome aboard", null, TS)),
                Arguments.of("message-edited", 44, new WebhookEvent.MessageEdited("general", 21, 17, "alice", "fixed", TS)),
                Arguments.of("message-edited-direct", 45, new WebhookEvent.MessageEdited(ALICE_AND_BOB, 4, 2, "bob", "fixed", TS)),
                Arguments.of("message-deleted", 46, new WebhookEvent.MessageDeleted("general", 22, 17, "alice", TS)),
                Arguments.of("message-deleted-direct", 47, new WebhookEvent.MessageDeleted(ALICE_AND_BOB, 5, 4, "alice", TS)),
                Arguments.of("member-joined", 48, new WebhookEvent.MemberJoined("general", "bob", TS)),
                Arguments.of("member-left", 49, new WebhookEvent.MemberLeft("general", "bob", TS)),
                Arguments.of("room-created", 50, new WebhookEvent.RoomCreated("team", "alice", true, TS)),
                Arguments.of("room-created-unowned", 51, new WebhookEvent.RoomCreated("lobby", null, false, TS)),
                Arguments.of("user-online", 52, new WebhookEvent.UserOnline("alice", TS)),
                Arguments.of("user-offline", 53, new WebhookEvent.UserOffline("alice", TS)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void eachEventEncodesToItsGoldenFile(String name, long outboxId, WebhookEvent event) {
        assertEquals(golden(name), WebhookCodec.event(WebhookCodec.id(EPOCH, outboxId), event).toString());
    }

    @Test
    void aBatchIsItsEventsInOrder() {
        assertEquals(golden("batch"), WebhookCodec.batch(EPOCH, List.of(
                new WebhookOutbox.Queued(41, new WebhookEvent.MessageCreated("general", 17, "alice", "hello", null, TS)),
                new WebhookOutbox.Queued(52, new WebhookEvent.UserOnline("alice", TS)))));
    }

    @Test
    void everyTypeHasAGoldenFileAndEveryGoldenFileAnEvent() throws IOException {
        Set<String> types = events().map(a -> ((WebhookEvent) a.get()[2]).type()).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(WebhookEvent.TYPES), types, "every type is encoded here");
        Set<String> files;
        try (Stream<Path> listed = Files.list(Path.of("src/test/resources/golden/webhook"))) {
            files = listed.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> used = events().map(a -> a.get()[0] + ".json").collect(Collectors.toCollection(TreeSet::new));
        used.add("batch.json");
        assertEquals(used, files);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void eachGoldenFileMatchesTheDocumentsSchemaOfItsType(String name, long outboxId, WebhookEvent event) {
        String json = golden(name);
        DOCUMENT.assertValid("/components/schemas/" + schemaOf(event.type()), json, name);
        DOCUMENT.assertValid("/components/schemas/WebhookEvent", json, name + " as any event");
    }

    @Test
    void theBatchMatchesTheWebhooksRequestBody() {
        DOCUMENT.assertValid("/webhooks/events/post/requestBody/content/application~1json/schema", golden("batch"), "batch");
    }

    /** The schemas are closed: what the codec does not write, the document refuses (so a change of either fails here). */
    @Test
    void theSchemasRefuseWhatTheWireNeverHas() {
        String created = golden("message-created");
        Map<String, String> wrong = Map.of(
                "an unknown field", created.replace("\"seq\":17", "\"seq\":17,\"color\":\"red\""),
                "both room and to", created.replace("\"room\":\"general\"", "\"room\":\"general\",\"to\":\"bob\""),
                "neither room nor to", created.replace("\"room\":\"general\",", ""),
                "a ts that is no instant", created.replace("2025-01-02T03:04:05.678Z", "yesterday"),
                "a type of another event", created.replace("message.created", "message.edited"),
                "a seq that is a string", created.replace("\"seq\":17", "\"seq\":\"17\""));
        wrong.forEach((why, json) -> assertFalse(DOCUMENT.errors("/components/schemas/WebhookEvent", json).isEmpty(), why + ": " + json));
        assertFalse(DOCUMENT.errors("/components/schemas/WebhookBatch", "{\"events\":[]}").isEmpty(), "an empty batch is never sent");
        assertFalse(DOCUMENT.errors("/components/schemas/RoomCreatedEvent", golden("room-created-unowned").replace(",\"owner\":null", ""))
                .isEmpty(), "owner is there even when null");
    }

    /** The schema the document's {@code WebhookEvent} names for {@code type}. */
    private static String schemaOf(String type) {
        for (JsonNode ref : DOCUMENT.document().at("/components/schemas/WebhookEvent/oneOf")) {
            String pointer = ref.get("$ref").asString().substring(1);
            if (type.equals(DOCUMENT.document().at(pointer + "/properties/type/const").asString())) {
                return pointer.substring("/components/schemas/".length());
            }
        }
        throw new AssertionError("the document has no schema for " + type);
    }

    /** A golden file's text; a trailing line break an editor may add is not part of the body. */
    private static String golden(String name) {
        try (InputStream in = WebhookCodecTest.class.getResourceAsStream("/golden/webhook/" + name + ".json")) {
            assertNotNull(in, "missing golden file src/test/resources/golden/webhook/" + name + ".json");
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            assertFalse(text.contains("\n"), name + " is one line, as the wire has it");
            return text;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
