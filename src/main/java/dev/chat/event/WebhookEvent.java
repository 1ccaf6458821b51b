package dev.chat.event;

/**
 * What a webhook reports (see {@code webhook}): a closed set, each written to the store's outbox in
 * the transaction of what it describes. {@code ts} is when it happened, in epoch millis. A room
 * event's {@code room} may be a direct conversation's ({@link RoomEvent#directUsers}); the webhook's
 * wire then names its two users instead.
 */
public sealed interface WebhookEvent {
    /** The wire's {@code type}. */
    String type();

    long ts();

    /** What events are ordered by: their room, or for a user's events null (they have no order with rooms). */
    default String room() {
        return null;
    }

    record MessageCreated(String room, long seq, String from, String text, Long replyTo, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "message.created";
        }
    }

    /** {@code seq} is the edit's own, {@code target} the edited message's. */
    record MessageEdited(String room, long seq, long target, String from, String text, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "message.edited";
        }
    }

    record MessageDeleted(String room, long seq, long target, String by, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "message.deleted";
        }
    }

    record MemberJoined(String room, String user, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "member.joined";
        }
    }

    record MemberLeft(String room, String user, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "member.left";
        }
    }

    /** {@code owner} null for a room no user owns. */
    record RoomCreated(String room, String owner, boolean isPrivate, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "room.created";
        }
    }

    record UserOnline(String user, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "user.online";
        }
    }

    record UserOffline(String user, long ts) implements WebhookEvent {
        @Override
        public String type() {
            return "user.offline";
        }
    }

    /** Every type, in the README's order. */
    java.util.List<String> TYPES = java.util.List.of("message.created", "message.edited", "message.deleted", "member.joined",
            "member.left", "room.created", "user.online", "user.offline");
}
