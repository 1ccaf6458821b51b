package dev.chat.cluster;

/** Every Redis key and channel of the chat, all under one configurable prefix. */
public final class RedisKeys {
    private final String prefix;

    public RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** Pub/sub channel of a room's events. */
    String roomChannel(String room) {
        return prefix + "room:" + room;
    }

    /** Pub/sub channel of everything addressed to one user: direct messages, invitations, kicks. */
    String userChannel(String user) {
        return prefix + "user:" + user;
    }

    /** The user of a user channel, or null. */
    String userOf(String channel) {
        String head = prefix + "user:";
        return channel.startsWith(head) ? channel.substring(head.length()) : null;
    }

    /** The room of a channel name, or null when it is not a room channel. */
    String roomOf(String channel) {
        String head = prefix + "room:";
        return channel.startsWith(head) ? channel.substring(head.length()) : null;
    }

    /** The room's message counter (INCR gives the next seq). */
    String seq(String room) {
        return prefix + "room:" + room + ":seq";
    }

    /** Stream of the room's last messages, entry id {@code <seq>-0}, field {@code m} the message as published. */
    String history(String room) {
        return prefix + "room:" + room + ":history";
    }

    /** The seq a user's send id got in the room, kept for the dedupe window. */
    String sent(String room, String user, String id) {
        return prefix + "room:" + room + ":sent:" + user + ":" + id;
    }

    /** Set for {@link ClusterBus#TYPING_PERIOD_MILLIS} when a user's typing was relayed: the cluster-wide throttle. */
    String typing(String room, String user) {
        return prefix + "room:" + room + ":typing:" + user;
    }

    /** Sorted set of {@code user|node} presence entries, scored by their expiry (Redis time, ms). */
    String presence(String room) {
        return prefix + "room:" + room + ":presence";
    }

    /** Hash user -> number of live presence entries (one per node the user is on). */
    String members(String room) {
        return prefix + "room:" + room + ":members";
    }

    /** Created once, the first time a node starts on this Redis: it changes only if Redis loses its data. */
    String epoch() {
        return prefix + "epoch";
    }

    /** Hash username -> password hash. */
    public String users() {
        return prefix + "users";
    }

    /** A node's own channel: subscribed first, so the subscriber connection exists before any room. */
    String nodeChannel(String nodeId) {
        return prefix + "node:" + nodeId;
    }
}
