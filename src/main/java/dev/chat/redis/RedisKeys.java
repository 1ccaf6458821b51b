package dev.chat.redis;

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





    /** Sorted set of {@code user|node} presence entries, scored by their expiry (Redis time, ms). */
    String presence(String room) {
        return prefix + "room:" + room + ":presence";
    }

    /** Hash user -> number of live presence entries (one per node the user is on). */
    String members(String room) {
        return prefix + "room:" + room + ":members";
    }


    /** Hash username -> password hash: where earlier versions kept a cluster's users (imported at start). */
    public String users() {
        return prefix + "users";
    }

    /** A node's own channel: subscribed first, so the subscriber connection exists before any room. */
    String nodeChannel(String nodeId) {
        return prefix + "node:" + nodeId;
    }
}
