package dev.chat.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.event.RoomEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What nodes exchange, against its golden files: each event encodes to its file and decodes back. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodeCodecTest {
    private static final String NODE = "node-a";

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of(Named.of("message", "message.json"), new RoomEvent.Posted("general", "alice",
                        "he said \"hi\"\n<b>x</b> \\ \u00e9", "c-42", "node-a-1", "4bf92f3577b34da6a3ce929d0e0e4736", 17,
                        java.time.Instant.parse("2025-01-02T03:04:05.678Z").toEpochMilli(), 123456789L)),
                Arguments.of(Named.of("direct message", "message-direct.json"), new RoomEvent.Posted("@alice+bob", "bob",
                        "psst", null, "node-b-7", "00f067aa0ba902b7", 3, java.time.Instant.parse("2025-01-02T03:04:05Z").toEpochMilli(), 5L)),
                // a provider's names: an e-mail and one with "+", a space and letters beyond ASCII, in their escaped direct room
                Arguments.of(Named.of("direct message between provider names", "message-direct-names.json"),
                        new RoomEvent.Posted(RoomEvent.directRoom("erin@example.com", "Zo\u00eb a+b \u65e5\u672c"), "Zo\u00eb a+b \u65e5\u672c",
                        "hi \ud83d\ude00", "d-1", "node-b-7", "00f067aa0ba902b7", 1, java.time.Instant.parse("2025-01-02T03:04:05Z").toEpochMilli(), 5L)),
                Arguments.of(Named.of("presence of a provider name", "presence-names.json"),
                        new RoomEvent.PresenceChanged("general", "erin@example.com", "joined")),
                Arguments.of(Named.of("presence", "presence.json"), new RoomEvent.PresenceChanged("general", "bob", "left")),
                Arguments.of(Named.of("typing", "typing.json"), new RoomEvent.Typing("general", "carol")),
                Arguments.of(Named.of("invitation", "invitation.json"), new RoomEvent.Invitation("team", "bob", "alice")),
                Arguments.of(Named.of("kick", "kicked.json"), new RoomEvent.Kicked("team", "bob", "root")),
                Arguments.of(Named.of("tip", "tip.json"), new RoomEvent.Tip("general", 120)),
                Arguments.of(Named.of("sessions ended", "sessions-ended.json"),
                        new RoomEvent.SessionsEnded("bob", java.util.List.of("s1", "s2"), true)),
                Arguments.of(Named.of("a backend's disconnect with its code", "disconnect.json"),
                        new RoomEvent.SessionsEnded("bob", java.util.List.of(), true, 1001)),
                Arguments.of(Named.of("reaction", "reaction.json"), new RoomEvent.Posted("general", "bob", "", "r1", "node-a-1", null, 23,
                        java.time.Instant.parse("2025-01-02T03:07:00Z").toEpochMilli(), 5L,
                        RoomEvent.Detail.react(17, "\ud83d\udc4d").withOn(true))),
                Arguments.of(Named.of("reply with a mention", "message-reply.json"), new RoomEvent.Posted("general", "bob", "@alice yes", "c-43",
                        "node-a-1", null, 18, java.time.Instant.parse("2025-01-02T03:07:00Z").toEpochMilli(), 5L,
                        RoomEvent.Detail.reply(17L).withMentions(java.util.List.of("alice")))),
                Arguments.of(Named.of("membership", "membership.json"), new RoomEvent.Membership("team", "bob", "joined", "node-a-7")),
                Arguments.of(Named.of("read position", "read.json"), new RoomEvent.ReadMoved("@alice+bob", "bob", 117, 3, 1, "node-a-7")));
    }

    @ParameterizedTest
    @MethodSource("events")
    void encodesToItsGoldenFile(String file, RoomEvent event) {
        assertEquals(golden(file), NodeCodec.encode(event, NODE));
    }

    @ParameterizedTest
    @MethodSource("events")
    void decodesFromItsGoldenFileOnThePublishingNode(String file, RoomEvent event) {
        assertEquals(event, NodeCodec.decode(golden(file), NODE, 999L));
    }

    @Test
    void aMessageFromAnotherNodeIsTimedFromItsArrival() {
        RoomEvent.Posted p = (RoomEvent.Posted) NodeCodec.decode(golden("message.json"), "node-b", 999L);
        assertEquals(999L, p.acceptedNanos(), "the other node's nanoTime means nothing here");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "null", "[]", "{", "{\"k\":\"m\"}", "{\"k\":\"m\",\"room\":\"r\"}", "{\"k\":\"zz\",\"room\":\"r\"}",
            "{\"k\":\"p\",\"room\":\"r\",\"user\":\"u\",\"state\":\"sleeping\"}", "{\"k\":\"m\",\"room\":\"r\",\"seq\":\"x\"}",
            "{\"k\":\"tip\",\"room\":\"r\"}", "{\"k\":1,\"room\":\"r\"}",
            "{\"k\":\"j\",\"room\":\"r\",\"user\":\"u\",\"state\":\"sleeping\"}", "{\"k\":\"r\",\"room\":\"r\",\"user\":\"u\",\"seq\":1}",
            "{\"k\":\"m\",\"room\":\"r\",\"seq\":1,\"from\":\"a\",\"text\":\"\",\"ts\":\"2025-01-02T03:07:00Z\",\"kind\":\"react\",\"target\":1}",
            "{\"k\":\"m\",\"room\":\"r\",\"seq\":1,\"from\":\"a\",\"text\":\"\",\"ts\":\"2025-01-02T03:07:00Z\",\"kind\":\"explode\",\"target\":1}"})
    void malformedInputDecodesToNullAndNeverThrows(String json) {
        assertNull(NodeCodec.decode(json, NODE, 0));
    }

    private static String golden(String file) {
        try (InputStream in = NodeCodecTest.class.getResourceAsStream("/golden/node/" + file)) {
            if (in == null) {
                throw new AssertionError("missing golden file src/test/resources/golden/node/" + file);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
