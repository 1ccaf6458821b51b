package dev.chat.protocol;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;

/**
 * What the server sends: a closed set, each a record with its wire type first. Null components are
 * left out of the JSON (a reply without a request id carries no {@code id}). The type is a getter
 * renamed to {@code type}; JSON-B orders properties by their Java names, hence {@code getType}
 * at the head of each {@code @JsonbPropertyOrder}.
 */
public sealed interface ServerFrame {

    /** The frame's {@code type} on the wire. */
    String getType();


    @JsonbPropertyOrder({"getType", "user", "protocol"})
    record Welcome(String user, int protocol) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "welcome"; }
    }

    @JsonbPropertyOrder({"getType", "room", "members", "id"})
    record Joined(String room, List<String> members, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "joined"; }
    }

    @JsonbPropertyOrder({"getType", "room", "id"})
    record Left(String room, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "left"; }
    }

    @JsonbPropertyOrder({"getType", "room", "id", "seq"})
    record Ack(String room, String id, long seq) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "ack"; }
    }

    @JsonbPropertyOrder({"getType", "room", "from", "text", "id", "seq", "ts"})
    record Message(String room, String from, String text, String id, long seq, String ts) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "message"; }
    }

    @JsonbPropertyOrder({"getType", "room", "user", "state"})
    record Presence(String room, String user, String state) implements ServerFrame {
        public static final String JOINED = "joined";
        public static final String LEFT = "left";

        @JsonbProperty("type") public String getType() { return "presence"; }
    }

    /** Reply to {@code refresh}: the connection now lasts until {@code expiresAt} (ISO-8601 UTC). */
    @JsonbPropertyOrder({"getType", "expiresAt", "id"})
    record Refreshed(String expiresAt, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "refreshed"; }
    }

    @JsonbPropertyOrder({"getType", "code", "message", "id"})
    record Error(String code, String message, String id) implements ServerFrame {
        public Error(ErrorCode code, String message, String id) {
            this(code.wire(), message, id);
        }

        @JsonbProperty("type") public String getType() { return "error"; }
    }
}
