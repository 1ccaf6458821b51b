package dev.chat.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Protocol v1 on the wire: every server frame against its golden file, every client frame decoded
 * from its golden file, and every way {@link ProtocolCodec#decode} refuses a frame.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolCodecTest {
    private static final String ROOM_MESSAGE = "room must be a string matching ^[A-Za-z0-9_-]{1,64}$";
    private static final String TEXT_MESSAGE = "text must be a non-empty string";
    private static final String ID_MESSAGE = "id must be a string of at most 64 characters";
    private static final String TYPE_MESSAGE = "type must be a string";
    private static final String OBJECT_MESSAGE = "a frame must be one JSON object";
    private static final String MALFORMED = "malformed JSON";

    private static final Jsonb JSONB = JsonbBuilder.create();

    @AfterAll
    static void closeJsonb() throws Exception {
        JSONB.close();
    }

    /** A golden file's text; a trailing line break an editor may add is not part of the frame. */
    static String golden(String path) {
        try (InputStream in = ProtocolCodecTest.class.getResourceAsStream("/golden/" + path)) {
            assertNotNull(in, "missing golden file src/test/resources/golden/" + path);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                    : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ClientFrame.Invalid badRequest(String message, String id) {
        return new ClientFrame.Invalid(ErrorCode.BAD_REQUEST, message, id);
    }

    // ---------------------------------------------------------------- server frames (encode)

    static Stream<Arguments> serverFrames() {
        return Stream.of(
                Arguments.of("welcome", new ServerFrame.Welcome("alice", 1)),
                Arguments.of("welcome-epoch", new ServerFrame.Welcome("alice", 1, "3f2b9c1e-7d4a-4e8b-9a51-0c6d2e8f1a77")),
                Arguments.of("joined", new ServerFrame.Joined("general", List.of("alice", "bob"), "c-1")),
                Arguments.of("left", new ServerFrame.Left("general", "c-2")),
                Arguments.of("ack", new ServerFrame.Ack("general", "c-42", 17)),
                Arguments.of("message", new ServerFrame.Message("general", "alice", "hello", "c-42", 17,
                        "2025-01-02T03:04:05.678Z")),
                Arguments.of("presence", new ServerFrame.Presence("general", "bob", ServerFrame.Presence.JOINED)),
                Arguments.of("error", new ServerFrame.Error(ErrorCode.NOT_JOINED, "not in room general", "c-7")),
                Arguments.of("error-without-id", new ServerFrame.Error(ErrorCode.BAD_REQUEST, MALFORMED, null)),
                Arguments.of("joined-since", new ServerFrame.Joined("general", List.of("alice", "bob"), 120L, true, "c-1")),
                Arguments.of("message-replay", new ServerFrame.Message("general", "alice", "hello", "c-42", 18,
                        "2025-01-02T03:04:05.678Z", true)),
                Arguments.of("history", new ServerFrame.History("general", List.of(
                        new ServerFrame.Message("general", "alice", "hi", "c-1", 70, "2025-01-02T03:04:05.678Z"),
                        new ServerFrame.Message("general", "bob", "yo", null, 71, "2025-01-02T03:04:06.001Z")), "h1")),
                Arguments.of("typing", new ServerFrame.Typing("general", "alice")),
                Arguments.of("ack-direct", new ServerFrame.Ack(null, "bob", "d-1", 3)),
                Arguments.of("ack-react", new ServerFrame.Ack("general", null, "r1", 23, true)),
                Arguments.of("message-direct", new ServerFrame.Message(null, "alice", "bob", "psst", "d-1", 3,
                        "2025-01-02T03:04:05.678Z", null)),
                Arguments.of("created", new ServerFrame.Created("team", true, "c-1")),
                Arguments.of("invited", new ServerFrame.Invited("team", "bob", "c-2")),
                Arguments.of("invitation", new ServerFrame.Invitation("team", "alice")),
                Arguments.of("kicked", new ServerFrame.Kicked("team", "bob", "c-3")),
                Arguments.of("removed", new ServerFrame.Removed("team", "admin", "kicked")),
                Arguments.of("error-unavailable", new ServerFrame.Error(ErrorCode.UNAVAILABLE,
                        "the cluster's store is unreachable: the message was not accepted; resend it shortly", "c-9")),
                Arguments.of("refreshed", new ServerFrame.Refreshed("2026-11-27T11:15:30Z", "c-5")),
                Arguments.of("error-unauthorized", new ServerFrame.Error(ErrorCode.UNAUTHORIZED,
                        "token refused; the connection keeps its expiry", "c-5")),
                Arguments.of("welcome-rooms", new ServerFrame.Welcome("alice", 1, "3f2b9c1e-7d4a-4e8b-9a51-0c6d2e8f1a77").withRooms(List.of(
                        new ServerFrame.RoomState("general", null, 120, 117, 3, 1),
                        new ServerFrame.RoomState(null, "bob", 3, 3, 0, 0)))),
                Arguments.of("rooms", new ServerFrame.Rooms(List.of(new ServerFrame.RoomState("general", null, 120, 117, 3, 1)), "r-1")),
                Arguments.of("membership-joined", new ServerFrame.Membership("team", ServerFrame.Presence.JOINED, 41L)),
                Arguments.of("membership-left", new ServerFrame.Membership("team", ServerFrame.Presence.LEFT, null)),
                Arguments.of("read", new ServerFrame.Read("general", null, 117, 3, 0, "r-2")),
                Arguments.of("read-direct", new ServerFrame.Read(null, "bob", 3, 0, 0, null)),
                Arguments.of("message-as-it-stands", new ServerFrame.Message("general", "alice", null, "fixed", "c-42", 17,
                        "2025-01-02T03:04:05.678Z", 12L, List.of("bob"), "2025-01-02T03:05:00Z", null,
                        java.util.Map.of("\ud83d\udc4d", List.of("bob", "carol")), null)),
                Arguments.of("message-deleted", new ServerFrame.Message("general", "alice", null, null, "c-42", 17,
                        "2025-01-02T03:04:05.678Z", null, null, null, true, null, true)),
                Arguments.of("edited", new ServerFrame.Edited("general", null, 21, 17, "alice", "fixed", "e1", "2025-01-02T03:05:00Z", null)),
                Arguments.of("deleted", new ServerFrame.Deleted("general", null, 22, 17, "alice", "d1", "2025-01-02T03:06:00Z", null)),
                Arguments.of("reaction", new ServerFrame.Reaction("general", null, 23, 17, "bob", "\ud83d\udc4d", true, "r1",
                        "2025-01-02T03:07:00Z", null)),
                Arguments.of("reaction-direct", new ServerFrame.Reaction(null, "alice", 4, 3, "bob", "\u2764\ufe0f", false, null,
                        "2025-01-02T03:07:00Z", true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serverFrames")
    void encodeProducesExactlyTheGoldenJson(String name, ServerFrame frame) {
        assertEquals(golden("server/" + name + ".json"), ProtocolCodec.encode(frame).json());
    }

    @Test
    void encodedFrameCarriesTheUtf8SizeOfItsJson() {
        EncodedFrame frame = ProtocolCodec.encode(
                new ServerFrame.Message("general", "zoë", "héllo € 😀", "c-1", 1, "2025-01-02T03:04:05.678Z"));
        assertEquals(frame.json().getBytes(StandardCharsets.UTF_8).length, frame.bytes());
    }

    @Test
    void encodeLeavesOutNullComponents() {
        String json = ProtocolCodec.encode(new ServerFrame.Left("general", null)).json();
        assertEquals("{\"type\":\"left\",\"room\":\"general\"}", json);
    }

    @Test
    void encodedMessageNeverContainsARawNewlineEvenWhenItsTextHasNewlines() {
        String text = "line1\nline2\r\nline3\n";
        String json = ProtocolCodec.encode(
                new ServerFrame.Message("general", "alice", text, null, 3, "2025-01-02T03:04:05.678Z")).json();
        assertFalse(json.contains("\n"), () -> "raw newline in " + json);
        assertFalse(json.contains("\r"), () -> "raw carriage return in " + json);
        assertEquals(text, JSONB.fromJson(json, Map.class).get("text"));
    }

    // ---------------------------------------------------------------- client frames (decode)

    static Stream<Arguments> clientFrames() {
        return Stream.of(
                Arguments.of("join", new ClientFrame.Join("general", "c-1")),
                Arguments.of("leave", new ClientFrame.Leave("general", "c-2")),
                Arguments.of("send", new ClientFrame.Send("general", "hello", "c-3")),
                Arguments.of("send-without-id", new ClientFrame.Send("general", "hello", null)),
                Arguments.of("unknown-fields", new ClientFrame.Join("general", "c-4")),
                Arguments.of("join-since", new ClientFrame.Join("general", 17L, "1")),
                Arguments.of("history", new ClientFrame.History("general", 120L, 50, "h1")),
                Arguments.of("typing", new ClientFrame.Typing("general", null)),
                Arguments.of("send-direct", new ClientFrame.Direct("bob", "psst", "d-1")),
                Arguments.of("history-direct", new ClientFrame.DirectHistory("bob", 10L, 20, "h2")),
                Arguments.of("create", new ClientFrame.Create("team", true, "c-1")),
                Arguments.of("invite", new ClientFrame.Invite("team", "bob", "c-2")),
                Arguments.of("kick", new ClientFrame.Kick("team", "bob", "c-3")),
                Arguments.of("refresh", new ClientFrame.Refresh("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", "c-5")),
                Arguments.of("rooms", new ClientFrame.Rooms("r-1")),
                Arguments.of("read", new ClientFrame.Read("general", null, 117, "r-2")),
                Arguments.of("read-direct", new ClientFrame.Read(null, "bob", 3, null)),
                Arguments.of("edit", new ClientFrame.Change("edit", "general", null, 17, "fixed", null, "e1")),
                Arguments.of("delete", new ClientFrame.Change("delete", "general", null, 17, null, null, "d1")),
                Arguments.of("react", new ClientFrame.Change("react", "general", null, 17, null, "\ud83d\udc4d", "r1")),
                Arguments.of("react-direct", new ClientFrame.Change("react", null, "bob", 3, null, "\u2764\ufe0f", null)),
                Arguments.of("send-reply", new ClientFrame.Send("general", "yes", 17L, "c-43")),
                Arguments.of("send-direct-reply", new ClientFrame.Direct("bob", "yes", 2L, "d-2")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clientFrames")
    void decodeOfGoldenClientFrameGivesTheExpectedRecord(String name, ClientFrame expected) {
        assertEquals(expected, ProtocolCodec.decode(golden("client/" + name + ".json")));
    }

    @Test
    void anEmailOrAPrintableUnicodeNameIsAValidRecipientInviteeAndHistoryPeer() {
        String uni = dev.chat.testing.Names.UNICODE_64;
        assertEquals(new ClientFrame.Direct("erin@example.com", "hi", "d-1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"to\":\"erin@example.com\",\"text\":\"hi\",\"id\":\"d-1\"}"));
        assertEquals(new ClientFrame.DirectHistory(uni, null, 50, "h"),
                ProtocolCodec.decode(JSONB.toJson(Map.of("type", "history", "with", uni, "id", "h"))));
        assertEquals(new ClientFrame.Invite("team", uni, "i"),
                ProtocolCodec.decode(JSONB.toJson(Map.of("type", "invite", "room", "team", "user", uni, "id", "i"))));
    }

    @Test
    void aNameOf65CharactersOrWithAControlOrBidiOverrideIsABadRequestThatSaysWhy() {
        String long65 = dev.chat.testing.Names.pad(dev.chat.testing.Names.UNICODE_64, 65);
        assertEquals(new ClientFrame.Invalid(ErrorCode.BAD_REQUEST,
                        "to must be a user name (1 to 64 printable characters): it is longer than 64 characters", "d-1"),
                ProtocolCodec.decode(JSONB.toJson(Map.of("type", "send", "to", long65, "text", "hi", "id", "d-1"))));
        assertEquals(new ClientFrame.Invalid(ErrorCode.BAD_REQUEST,
                        "with must be a user name (1 to 64 printable characters): it contains a control character (U+0007)", "h"),
                ProtocolCodec.decode("{\"type\":\"history\",\"with\":\"bob\\u0007\",\"id\":\"h\"}"));
        assertEquals(new ClientFrame.Invalid(ErrorCode.BAD_REQUEST,
                        "user must be a user name (1 to 64 printable characters): it contains a format character (U+202E)", "k"),
                ProtocolCodec.decode("{\"type\":\"kick\",\"room\":\"team\",\"user\":\"bob\\u202Exe\",\"id\":\"k\"}"));
        assertEquals(new ClientFrame.Invalid(ErrorCode.BAD_REQUEST, "to must be a user name: 1 to 64 printable characters", "d-2"),
                ProtocolCodec.decode("{\"type\":\"send\",\"to\":7,\"text\":\"hi\",\"id\":\"d-2\"}"));
    }

    @Test
    void decodeTurnsAnEscapedNewlineInTextIntoARealNewline() {
        ClientFrame frame = ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"general\",\"text\":\"a\\nb\",\"id\":\"c-1\"}");
        assertEquals(new ClientFrame.Send("general", "a\nb", "c-1"), frame);
    }

    @Test
    void textWithNewlineRoundTripsFromClientFrameToServerMessage() {
        ClientFrame.Send send = assertInstanceOf(ClientFrame.Send.class,
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"general\",\"text\":\"a\\nb\"}"));
        String json = ProtocolCodec.encode(new ServerFrame.Message(send.room(), "alice", send.text(), send.id(), 1,
                "2025-01-02T03:04:05.678Z")).json();
        assertTrue(json.contains("\"text\":\"a\\nb\""), json);
        assertEquals("a\nb", JSONB.fromJson(json, Map.class).get("text"));
    }

    // ---------------------------------------------------------------- decode: refresh

    private static final String TOKEN_MESSAGE = "token must be a non-empty string of at most 8192 characters";

    @Test
    void refreshWithoutTokenIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(TOKEN_MESSAGE, "c-1"), ProtocolCodec.decode("{\"type\":\"refresh\",\"id\":\"c-1\"}"));
    }

    @Test
    void refreshWithANonStringOrEmptyTokenIsBadRequest() {
        assertEquals(badRequest(TOKEN_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"refresh\",\"token\":42,\"id\":\"c-1\"}"));
        assertEquals(badRequest(TOKEN_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"refresh\",\"token\":\"\",\"id\":\"c-1\"}"));
    }

    @Test
    void refreshWithATokenOver8192CharactersIsBadRequest() {
        assertEquals(badRequest(TOKEN_MESSAGE, null),
                ProtocolCodec.decode("{\"type\":\"refresh\",\"token\":\"" + "t".repeat(8193) + "\"}"));
    }

    @Test
    void refreshNeverShowsItsTokenInToString() {
        String s = new ClientFrame.Refresh("secret.token.value", "c-1").toString();
        assertFalse(s.contains("secret"), s);
    }

    // ---------------------------------------------------------------- decode: not a JSON object

    @Test
    void malformedJsonIsBadRequestWithoutId() {
        assertEquals(badRequest(MALFORMED, null), ProtocolCodec.decode("{\"type\":\"join\",\"room\":"));
    }

    @Test
    void emptyTextIsMalformedJson() {
        assertEquals(badRequest(MALFORMED, null), ProtocolCodec.decode(""));
    }

    @Test
    void jsonArrayIsNotAFrame() {
        assertEquals(badRequest(OBJECT_MESSAGE, null), ProtocolCodec.decode("[{\"type\":\"join\",\"room\":\"general\"}]"));
    }

    @Test
    void jsonNullIsNotAFrame() {
        assertEquals(badRequest(OBJECT_MESSAGE, null), ProtocolCodec.decode("null"));
    }

    @Test
    void jsonNumberIsNotAFrame() {
        assertEquals(badRequest(OBJECT_MESSAGE, null), ProtocolCodec.decode("42"));
    }

    @Test
    void jsonStringIsNotAFrame() {
        assertEquals(badRequest(OBJECT_MESSAGE, null), ProtocolCodec.decode("\"join\""));
    }

    // ---------------------------------------------------------------- decode: type

    @Test
    void missingTypeIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(TYPE_MESSAGE, "c-1"), ProtocolCodec.decode("{\"room\":\"general\",\"id\":\"c-1\"}"));
    }

    @Test
    void typeThatIsNotAStringIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(TYPE_MESSAGE, "c-1"), ProtocolCodec.decode("{\"type\":1,\"room\":\"general\",\"id\":\"c-1\"}"));
    }

    @Test
    void unknownTypeIsUnknownTypeWithIdEchoed() {
        assertEquals(new ClientFrame.Invalid(ErrorCode.UNKNOWN_TYPE, "unknown type: shout", "c-1"),
                ProtocolCodec.decode("{\"type\":\"shout\",\"room\":\"general\",\"id\":\"c-1\"}"));
    }

    @Test
    void unknownTypeIsAbbreviatedToItsFirst32CharactersInTheMessage() {
        String type = "x".repeat(40);
        assertEquals(new ClientFrame.Invalid(ErrorCode.UNKNOWN_TYPE, "unknown type: " + "x".repeat(32) + "...", "c-1"),
                ProtocolCodec.decode("{\"type\":\"" + type + "\",\"id\":\"c-1\"}"));
    }

    // ---------------------------------------------------------------- decode: room

    @Test
    void joinWithoutRoomIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"), ProtocolCodec.decode("{\"type\":\"join\",\"id\":\"c-1\"}"));
    }

    @Test
    void leaveWithoutRoomIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"), ProtocolCodec.decode("{\"type\":\"leave\",\"id\":\"c-1\"}"));
    }

    @Test
    void sendWithoutRoomIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"text\":\"hi\",\"id\":\"c-1\"}"));
    }

    @Test
    void roomThatIsNotAStringIsBadRequest() {
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"), ProtocolCodec.decode("{\"type\":\"join\",\"room\":7,\"id\":\"c-1\"}"));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "gen eral", "général", "日本", "room/1", "room.1", "room\\n"})
    void roomWithCharactersOutsideTheAllowedSetIsBadRequest(String room) {
        String frame = "{\"type\":\"join\",\"room\":" + JSONB.toJson(room) + ",\"id\":\"c-1\"}";
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"), ProtocolCodec.decode(frame));
    }

    @Test
    void roomOf65CharactersIsBadRequest() {
        String room = "r".repeat(65);
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"c-1\"}"));
    }

    @Test
    void roomOf64AllowedCharactersIsValid() {
        String room = "Aa0_-".repeat(12) + "Zz9_";
        assertEquals(64, room.length());
        assertEquals(new ClientFrame.Join(room, "c-1"),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"c-1\"}"));
    }

    // ---------------------------------------------------------------- decode: text

    @Test
    void sendWithoutTextIsBadRequestWithIdEchoed() {
        assertEquals(badRequest(TEXT_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"general\",\"id\":\"c-1\"}"));
    }

    @Test
    void sendWithEmptyTextIsBadRequest() {
        assertEquals(badRequest(TEXT_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"general\",\"text\":\"\",\"id\":\"c-1\"}"));
    }

    @Test
    void sendWithNumericTextIsBadRequest() {
        assertEquals(badRequest(TEXT_MESSAGE, "c-1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"general\",\"text\":42,\"id\":\"c-1\"}"));
    }

    // ---------------------------------------------------------------- decode: id

    @Test
    void numericIdIsBadRequestWithoutId() {
        assertEquals(badRequest(ID_MESSAGE, null),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"general\",\"id\":7}"));
    }

    @Test
    void idOf65CharactersIsBadRequestWithoutId() {
        String id = "i".repeat(65);
        assertEquals(badRequest(ID_MESSAGE, null),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"general\",\"id\":\"" + id + "\"}"));
    }

    @Test
    void idOf64CharactersIsEchoed() {
        String id = "i".repeat(64);
        assertEquals(new ClientFrame.Join("general", id),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"general\",\"id\":\"" + id + "\"}"));
    }

    // ---------------------------------------------------------------- decode: hostile input never throws

    @Test
    void deeplyNestedUnclosedArraysAreMalformedJsonNotAnException() {
        String text = "[".repeat(100_000);
        ClientFrame frame = assertDoesNotThrow(() -> ProtocolCodec.decode(text));
        assertEquals(badRequest("JSON nested deeper than 16 levels", null), frame);
    }

    /** A 64 KiB number once cost 55 ms of parsing; refused before the parser sees it, in a string it is only text. */
    @Test
    void numbersOfMoreThanTwentyDigitsAreRefusedBeforeParsingAndDigitsInTextAreNot() {
        String expected = "numbers longer than 20 digits are not accepted";
        String huge = "9".repeat(64 * 1024);
        assertEquals(badRequest(expected, null),
                ProtocolCodec.decode("{\"type\":\"history\",\"room\":\"g\",\"before\":" + huge + ",\"id\":\"h1\"}"));
        assertEquals(badRequest(expected, null), ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\",\"x\":-1." + huge + "}"));
        assertEquals(badRequest(expected, null),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\",\"x\":1234567890.12345678901}"));
        // a long's largest, and digits in strings, are fine
        assertEquals(new ClientFrame.History("g", Long.MAX_VALUE, 50, "h1"),
                ProtocolCodec.decode("{\"type\":\"history\",\"room\":\"g\",\"before\":" + Long.MAX_VALUE + ",\"id\":\"h1\"}"));
        assertEquals(new ClientFrame.Send("g", huge, "s1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"g\",\"text\":\"" + huge + "\",\"id\":\"s1\"}"));
        assertEquals(new ClientFrame.Join("g", null), ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\",\"x\":[1,2,3e10]}"));
    }

    /**
     * Parsing must cost linear time in the frame: a 64 KiB all-digit number once cost 55 ms of CPU,
     * 30x a text frame of that size, and grew quadratically. This checks the shape of the cost, not
     * a speed: CPU per byte (this thread's, best of several rounds after warming up) at 64 KiB stays
     * within 4x of that at 4 KiB for every kind of frame (a quadratic cost would be 16x), and the
     * hostile frames cost at most 5x a text frame of the same size.
     */
    @Test
    void cpuPerByteStaysFlatAcrossFrameSizesForHostileAndPlainFrames() {
        java.util.Map<String, java.util.function.IntFunction<String>> shapes = new java.util.LinkedHashMap<>();
        shapes.put("text", n -> "{\"type\":\"send\",\"room\":\"g\",\"text\":\"" + "a".repeat(n) + "\",\"id\":\"s1\"}");
        shapes.put("one long number", n -> "{\"type\":\"history\",\"room\":\"g\",\"before\":" + "9".repeat(n) + "}");
        shapes.put("many numbers", n -> "{\"type\":\"join\",\"room\":\"g\",\"x\":[" + "1,".repeat(n / 2) + "1]}");
        shapes.put("many keys", n -> "{\"type\":\"join\",\"room\":\"g\"" + ",\"k\":0".repeat(n / 6) + "}");
        shapes.put("nesting at the limit, repeated", n -> "{\"type\":\"join\",\"room\":\"g\",\"x\":["
                + ("[".repeat(14) + "]".repeat(14) + ",").repeat(n / 29) + "0]}");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.Map<String, Double> at64k = new java.util.LinkedHashMap<>();
        StringBuilder report = new StringBuilder();
        for (var shape : shapes.entrySet()) {
            double small = nanosPerByte(cpu, shape.getValue().apply(4 * 1024));
            double large = nanosPerByte(cpu, shape.getValue().apply(64 * 1024));
            at64k.put(shape.getKey(), large);
            report.append(String.format("%s: %.2f ns/B at 4 KiB, %.2f at 64 KiB%n", shape.getKey(), small, large));
            assertTrue(large <= 4 * small, () -> shape.getKey() + " grows faster than linearly:\n" + report);
        }
        for (var e : at64k.entrySet()) {
            assertTrue(e.getValue() <= 5 * at64k.get("text"), () -> e.getKey() + " costs more than 5x a text frame:\n" + report);
        }
        System.out.print(report);
    }

    /** This thread's CPU time per byte of decoding {@code frame}, the best of 7 rounds of about 5 MB each, after 3 to warm up. */
    private static double nanosPerByte(java.lang.management.ThreadMXBean cpu, String frame) {
        int times = Math.max(1, 5_000_000 / frame.length());
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            long t0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < times; i++) {
                ProtocolCodec.decode(frame);
            }
            double perByte = (double) (cpu.getCurrentThreadCpuTime() - t0) / ((double) times * frame.length());
            if (round >= 3) {
                best = Math.min(best, perByte);
            }
        }
        return best;
    }

    @Test
    void aFrameOfMoreThan256ValuesIsABadRequestBeforeParsing() {
        // '{', two commas between the fields, '[' and k-1 commas: k + 3 values
        java.util.function.IntFunction<String> frame = k -> "{\"type\":\"join\",\"room\":\"g\",\"x\":["
                + "0,".repeat(k - 1) + "0]}";
        assertEquals(new ClientFrame.Join("g", null), ProtocolCodec.decode(frame.apply(253)));
        assertEquals(badRequest("more than 256 JSON values in one frame", null), ProtocolCodec.decode(frame.apply(254)));
        assertEquals(new ClientFrame.Send("g", ",".repeat(1000), "s1"),
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"g\",\"text\":\"" + ",".repeat(1000) + "\",\"id\":\"s1\"}"),
                "commas in text are text");
    }

    @Test
    void nestingUpToTheLimitIsParsed() {
        String text = "{\"type\":\"join\",\"room\":\"general\",\"x\":" + "[".repeat(15) + "]".repeat(15) + "}";
        assertEquals(new ClientFrame.Join("general", null), ProtocolCodec.decode(text));
    }

    @Test
    void anythingAfterTheObjectIsABadRequest() {
        String expected = "a frame must be one JSON object, with nothing after it";
        assertEquals(badRequest(expected, null), ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\"} x"));
        assertEquals(badRequest(expected, null),
                ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\"}\n{\"type\":\"join\",\"room\":\"h\"}"));
        assertEquals(new ClientFrame.Join("g", null), ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\"}\n "));
    }

    @Test
    void bracesInsideStringsDoNotCountAsNesting() {
        assertEquals(new ClientFrame.Send("g", "}}]] {{[[ \\\" }", null),
                ProtocolCodec.decode("{\"type\":\"send\",\"room\":\"g\",\"text\":\"}}]] {{[[ \\\\\\\" }\"}"));
    }

    @Test
    void deeplyNestedArraysWithinTheFrameSizeLimitAreBadRequestNotAnException() {
        // 2,000 levels is 4 KB: far under CHAT_MAX_FRAME_BYTES, so any client can send it
        String text = "{\"type\":\"join\",\"room\":\"general\",\"x\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}";
        ClientFrame frame = assertDoesNotThrow(() -> ProtocolCodec.decode(text));
        ClientFrame.Invalid invalid = assertInstanceOf(ClientFrame.Invalid.class, frame);
        assertEquals(ErrorCode.BAD_REQUEST, invalid.code());
        assertNull(invalid.id());
    }

    @Test
    void hugeExponentNumberAsTheWholeFrameIsInvalidNotAnException() {
        ClientFrame frame = assertDoesNotThrow(() -> ProtocolCodec.decode("1e1000000"));
        assertEquals(badRequest(OBJECT_MESSAGE, null), frame);
    }

    @Test
    void hugeExponentNumberAsTheIdIsBadRequestWithoutId() {
        ClientFrame frame = assertDoesNotThrow(
                () -> ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"general\",\"id\":1e1000000}"));
        assertEquals(badRequest(ID_MESSAGE, null), frame);
    }

    @Test
    void hugeExponentNumberAsTheRoomIsBadRequest() {
        ClientFrame frame = assertDoesNotThrow(
                () -> ProtocolCodec.decode("{\"type\":\"join\",\"room\":1e1000000,\"id\":\"c-1\"}"));
        assertEquals(badRequest(ROOM_MESSAGE, "c-1"), frame);
    }

    @Test
    void numberWithHundredThousandDigitsIsInvalidNotAnException() {
        String text = "1" + "0".repeat(100_000);
        ClientFrame frame = assertDoesNotThrow(() -> ProtocolCodec.decode(text));
        assertInstanceOf(ClientFrame.Invalid.class, frame);
    }

    // ---------------------------------------------------------------- EncodedFrame

    static Stream<Arguments> utf8Strings() {
        return Stream.of(
                Arguments.of(Named.of("empty", "")),
                Arguments.of(Named.of("ASCII", "{\"type\":\"ack\"}")),
                Arguments.of(Named.of("2-byte", "é ü ß ñ Ω")),
                Arguments.of(Named.of("3-byte", "€ 日本語 ☃")),
                Arguments.of(Named.of("emoji (surrogate pairs)", "😀👍🏽🇩🇪")),
                Arguments.of(Named.of("mixed", "a é € 😀 z")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("utf8Strings")
    void encodedFrameBytesEqualsTheJdkUtf8Length(String s) {
        EncodedFrame frame = EncodedFrame.of(s);
        assertEquals(s, frame.json());
        assertEquals(s.getBytes(StandardCharsets.UTF_8).length, frame.bytes());
    }

    // ---------------------------------------------------------------- history additions

    @Test
    void sinceMustBeAWholeNonNegativeNumber() {
        String expected = "since must be a whole number of at least 0";
        for (String since : new String[] {"-1", "1.5", "\"17\"", "true", "1e30"}) {
            assertEquals(badRequest(expected, "j"), ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\",\"since\":" + since + ",\"id\":\"j\"}"), since);
        }
        assertEquals(new ClientFrame.Join("g", 0L, "j"), ProtocolCodec.decode("{\"type\":\"join\",\"room\":\"g\",\"since\":0,\"id\":\"j\"}"));
    }

    @Test
    void historyDefaultsAndBounds() {
        assertEquals(new ClientFrame.History("g", null, 50, null), ProtocolCodec.decode("{\"type\":\"history\",\"room\":\"g\"}"));
        assertEquals(badRequest("limit must be a whole number from 1 to 200", "h"),
                ProtocolCodec.decode("{\"type\":\"history\",\"room\":\"g\",\"limit\":201,\"id\":\"h\"}"));
        assertEquals(badRequest("limit must be a whole number from 1 to 200", "h"),
                ProtocolCodec.decode("{\"type\":\"history\",\"room\":\"g\",\"limit\":0,\"id\":\"h\"}"));
        assertEquals(badRequest("before must be a whole number of at least 1", "h"),
                ProtocolCodec.decode("{\"type\":\"history\",\"room\":\"g\",\"before\":0,\"id\":\"h\"}"));
    }
}
