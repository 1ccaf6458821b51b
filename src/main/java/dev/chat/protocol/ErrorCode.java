package dev.chat.protocol;

/**
 * The {@code code} of an {@code error} frame. Errors never close the connection; the request
 * they answer had no effect.
 */
public enum ErrorCode {
    BAD_REQUEST("bad_request", "Malformed JSON, a missing or mistyped field, an invalid room or user name, or a binary frame."),
    UNKNOWN_TYPE("unknown_type", "The frame's type is not one the server knows."),
    NOT_JOINED("not_joined", "Sending to or leaving a room the connection has not joined."),
    TOO_LARGE("too_large", "The text is longer than CHAT_MAX_TEXT characters."),
    TOO_MANY_ROOMS("too_many_rooms", "The user is a member of CHAT_MAX_ROOMS_PER_USER rooms already."),
    ROOM_FULL("room_full", "The room holds CHAT_MAX_ROOM_MEMBERS connections on this node already."),
    RATE_LIMITED("rate_limited", "Over CHAT_RATE_PER_SEC (burst CHAT_RATE_BURST), or a send to a room over CHAT_ROOM_RATE_PER_SEC; the frame was dropped."),
    UNAVAILABLE("unavailable", "The database is unreachable: the message may not have been stored (or the history, a room's access or a join could not be read); resend it with the same id shortly, which is safe: a resent id gets its first seq."),
    UNAUTHORIZED("unauthorized", "A refresh token that is invalid, expired or another user's; the connection keeps its old expiry."),
    FORBIDDEN("forbidden", "A private room the user was not invited to, an invitation by someone who is not the owner, a kick by someone who is not an admin, an edit of another user's message, or a delete of one by someone who is neither the room's owner nor an admin."),
    NO_SUCH_USER("no_such_user", "A direct message or invitation to a name nobody has: no local user, and no identity provider user who has connected."),
    QUOTA_EXCEEDED("quota_exceeded", "The user owns CHAT_MAX_OWNED_ROOMS_PER_USER rooms, has given CHAT_MAX_INVITATIONS_PER_USER invitations that still stand, or started CHAT_MAX_NEW_DIRECTS_PER_DAY direct conversations in the last 24 hours, already."),
    ROOM_EXISTS("room_exists", "create of a room that already exists (has an owner, members or messages)."),
    NOT_FOUND("not_found", "edit, delete, react or a reply (replyTo) naming a message that is not in the conversation: no such seq, a change event, or a deleted message."),
    INTERNAL("internal", "The server failed to handle the request; it had no effect.");

    private final String wire;
    private final String meaning;

    ErrorCode(String wire, String meaning) {
        this.wire = wire;
        this.meaning = meaning;
    }

    /** The value on the wire. */
    public String wire() {
        return wire;
    }

    public String meaning() {
        return meaning;
    }
}
