package dev.chat.protocol;

/**
 * What a client can ask for: a closed set, decoded by {@link ProtocolCodec#decode}. A frame that is
 * not a valid request decodes to {@link Invalid} rather than throwing, so the connection gets an
 * {@code error} frame with the request's id and stays open on every runtime.
 */
public sealed interface ClientFrame {

    /** The request id echoed in the reply; null when the client sent none. */
    String id();

    /** {@code since}: the last seq the client saw in the room, or null for a fresh join. */
    record Join(String room, Long since, String id) implements ClientFrame {
        public Join(String room, String id) {
            this(room, null, id);
        }
    }

    record Leave(String room, String id) implements ClientFrame { }

    record Send(String room, String text, Long replyTo, String id) implements ClientFrame {
        public Send(String room, String text, String id) {
            this(room, text, null, id);
        }
    }

    /** The user is typing in the room: relayed to the others, never stored, at most one per user and room per 3 s. */
    record Typing(String room, String id) implements ClientFrame { }

    /** A direct message to one user: all of their connections, on every node, get it. */
    record Direct(String to, String text, Long replyTo, String id) implements ClientFrame {
        public Direct(String to, String text, String id) {
            this(to, text, null, id);
        }
    }

    /**
     * A change of the message {@code target} of a room ({@code room}) or of the direct conversation
     * with {@code with} (exactly one is set): a new text ({@code edit}), its deletion ({@code delete})
     * or a toggle of the user's reaction {@code emoji} ({@code react}); {@code text} and {@code emoji}
     * are null where the kind has none.
     */
    record Change(String kind, String room, String with, long target, String text, String emoji, String id) implements ClientFrame { }

    /** A page of earlier direct messages exchanged with {@code with}. */
    record DirectHistory(String with, Long before, int limit, String id) implements ClientFrame { }

    /** Creates a room owned by the sender; a private one admits only the owner and those invited. */
    record Create(String room, boolean isPrivate, String id) implements ClientFrame { }

    /** The owner of a private room lets {@code user} join it. */
    record Invite(String room, String user, String id) implements ClientFrame { }

    /** An admin removes every connection of {@code user} from the room. */
    record Kick(String room, String user, String id) implements ClientFrame { }

    /** A page of earlier messages: those with seq below {@code before} (null: the latest), at most {@code limit}. */
    record History(String room, Long before, int limit, String id) implements ClientFrame { }
    /**
     * A newer token for the same user, so the connection outlives the one it opened with. The token
     * is a credential: {@link #toString} leaves it out, so no log line can carry it.
     */
    record Refresh(String token, String id) implements ClientFrame {
        @Override
        public String toString() {
            return "Refresh[token=****, id=" + id + "]";
        }
    }

    /** The user's rooms and direct conversations, with their read positions and counts: answered with {@code rooms}. */
    record Rooms(String id) implements ClientFrame { }

    /**
     * The user has read the conversation up to {@code seq}: a room ({@code room}) or the direct
     * conversation with {@code with} (exactly one of the two is set).
     */
    record Read(String room, String with, long seq, String id) implements ClientFrame { }

    /** A frame over {@code CHAT_MAX_FRAME_BYTES}: the connection is closed with 1009. */
    record TooBig(int bytes) implements ClientFrame {
        @Override
        public String id() {
            return null;
        }
    }

    /** Not a valid request: answered with an error frame carrying {@code code}. */
    record Invalid(ErrorCode code, String message, String id) implements ClientFrame { }
}
