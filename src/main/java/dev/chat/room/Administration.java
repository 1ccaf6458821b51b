package dev.chat.room;

import dev.chat.auth.UserStore;
import dev.chat.bus.Bus;
import dev.chat.event.RoomEvent;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import dev.chat.protocol.UserName;
import dev.chat.store.Memberships;
import dev.chat.store.MessageStore;
import dev.chat.store.RoomAccess;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What a backend may do and see through the server API, on any node and for the whole cluster:
 * post as a user or a bot, read a room and its history, see a user, end a user's connections.
 * Messages take the clients' path (the store, then the bus to every node), so a member cannot tell
 * a backend's message from a user's but by its sender. Every method may throw
 * {@link Messages.Refusal} (with the protocol's error code) or
 * {@link dev.chat.store.StoreUnavailableException}.
 */
public final class Administration {
    /** A bot's name: {@code bot:} and a local account's name; no user can have it (a user name has no {@code :}). */
    public static final Pattern BOT = Pattern.compile(Pattern.quote(UserName.BOT_PREFIX) + "[A-Za-z0-9_.-]{1,32}");

    /** A committed message: its room (or the other user, {@code to}, of a direct one), seq and time. */
    public record Posted(String room, String to, long seq, String ts, boolean duplicate) { }

    /** A room as the API shows it: members from the store, online from every node. */
    public record RoomView(String room, boolean isPrivate, String owner, long seq, List<String> members, List<String> online) { }

    /** A user as the API shows it. */
    public record UserView(String user, boolean online, List<String> rooms, boolean banned) { }

    private final Messages messages;
    private final RoomRegistry rooms;
    private final RoomAccess access;
    private final Memberships memberships;
    private final MessageStore store;
    private final UserStore users;
    private final Bus bus;
    private final int maxRoomsPerUser;
    private final Predicate<String> onlineElsewhere;

    /**
     * @param maxRoomsPerUser {@code CHAT_MAX_ROOMS_PER_USER}: a member added here counts like a join
     * @param onlineElsewhere whether a user has a connection on another node (what every node reported
     *                        to the database), for a user in no room, whom presence cannot see
     */
    public Administration(Messages messages, RoomRegistry rooms, RoomAccess access, Memberships memberships, MessageStore store,
                          UserStore users, Bus bus, int maxRoomsPerUser, Predicate<String> onlineElsewhere) {
        this.maxRoomsPerUser = maxRoomsPerUser;
        this.onlineElsewhere = onlineElsewhere;
        this.messages = messages;
        this.rooms = rooms;
        this.access = access;
        this.memberships = memberships;
        this.store = store;
        this.users = users;
        this.bus = bus;
    }

    /**
     * Posts {@code text} from {@code from} (a user, who must be a member of the room, or a bot) to a
     * room or, with {@code to}, to that user directly.
     *
     * @param key    the idempotency key (a client's message id): the same sender and key answer the first seq
     * @param origin the API key's name, for the record ({@code api:<name>} as the sending "connection")
     */
    public CompletableFuture<Posted> post(String room, String to, String from, String text, Long replyTo, String key, String origin) {
        if ((room == null) == (to == null)) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "name either room or to");
        }
        if (text == null || text.isEmpty()) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "text must be a non-empty string");
        }
        if (key != null && (key.isEmpty() || key.length() > ProtocolCodec.MAX_ID_LENGTH)) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "idempotencyKey must be 1 to " + ProtocolCodec.MAX_ID_LENGTH + " characters");
        }
        if (from == null) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "from must be an existing user or bot:<name>");
        }
        boolean bot = BOT.matcher(from).matches();
        if (!bot && (from.startsWith(UserName.BOT_PREFIX) || !knownUser(from))) {
            throw new Messages.Refusal(ErrorCode.NO_SUCH_USER, "from must be an existing user or bot:<name> (" + UserName.LOCAL_RULE + ")");
        }
        if (!bot && users.banned(from)) {
            throw new Messages.Refusal(ErrorCode.FORBIDDEN, from + " is banned");
        }
        String stored;
        if (room != null) {
            if (!exists(room)) {
                throw new Messages.Refusal(ErrorCode.NOT_FOUND, "there is no room " + room);
            }
            if (!bot && !memberships.membersOf(room).contains(from)) {
                throw new Messages.Refusal(ErrorCode.FORBIDDEN, from + " is not a member of room " + room);
            }
            stored = room;
        } else {
            if (!knownUser(to) || to.equals(from)) {
                throw new Messages.Refusal(ErrorCode.NO_SUCH_USER, "there is no other user " + to);
            }
            if (users.banned(to)) {
                throw new Messages.Refusal(ErrorCode.FORBIDDEN, to + " is banned and cannot be messaged");
            }
            stored = RoomEvent.directRoom(from, to);
        }
        return messages.publish(stored, to, from, text, replyTo, key, "api:" + origin).thenApply(a -> new Posted(room, to,
                a.message().seq(), a.message().isoTs(), a.duplicate()));
    }

    /**
     * Creates a room owned by {@code owner}, private or not, with the owner and {@code members} in it
     * (their connections everywhere enter it at once, as after a join on another device).
     *
     * @throws Messages.Refusal {@code room_exists} when the room exists (a row, members or messages)
     */
    public RoomView createRoom(String room, boolean isPrivate, String owner, List<String> members) {
        if (room == null || !ProtocolCodec.ROOM_NAME.matcher(room).matches()) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "room must match " + ProtocolCodec.ROOM_NAME.pattern());
        }
        if (owner == null || !knownUser(owner)) {
            throw new Messages.Refusal(ErrorCode.NO_SUCH_USER, "owner must be an existing user");
        }
        for (String m : members) {
            if (!knownUser(m)) {
                throw new Messages.Refusal(ErrorCode.NO_SUCH_USER, "there is no user " + m);
            }
        }
        if (exists(room) || !access.create(room, owner, isPrivate)) {
            throw new Messages.Refusal(ErrorCode.ROOM_EXISTS, "room " + room + " exists already");
        }
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        all.add(owner);
        all.addAll(members);
        for (String m : all) {
            addMember(room, m);
        }
        return room(room);
    }

    /**
     * Makes {@code user} a member of the room (invited first, if it is private); the user's
     * connections everywhere enter it. False when the user was a member already.
     */
    public boolean addMember(String room, String user) {
        RoomAccess.RoomInfo info = ProtocolCodec.ROOM_NAME.matcher(room).matches() ? access.info(room) : null;
        if (info == null && !exists(room)) {
            throw new Messages.Refusal(ErrorCode.NOT_FOUND, "there is no room " + room);
        }
        if (!knownUser(user)) {
            throw new Messages.Refusal(ErrorCode.NO_SUCH_USER, "there is no user " + user);
        }
        if (users.banned(user)) {
            throw new Messages.Refusal(ErrorCode.FORBIDDEN, user + " is banned");
        }
        if (info != null && info.isPrivate() && !user.equals(info.owner())) {
            access.invite(room, info.owner(), user);
        }
        Memberships.Added added = memberships.add(user, room, maxRoomsPerUser);
        if (added == Memberships.Added.LIMIT) {
            throw new Messages.Refusal(ErrorCode.TOO_MANY_ROOMS, user + " is a member of " + maxRoomsPerUser + " rooms already");
        }
        if (added == Memberships.Added.ADDED) {
            bus.toUser(user, new RoomEvent.Membership(room, user, RoomEvent.JOINED, null));
            return true;
        }
        return false;
    }

    /**
     * Removes {@code user} from the room (a kick): the membership and any invitation are taken back,
     * and the user's connections on every node get {@code removed}. False when they were no member.
     */
    public boolean removeMember(String room, String user, String by) {
        if (!exists(room)) {
            throw new Messages.Refusal(ErrorCode.NOT_FOUND, "there is no room " + room);
        }
        access.revoke(room, user);
        boolean was = memberships.remove(user, room);
        bus.toUser(user, new RoomEvent.Kicked(room, user, by));
        return was;
    }

    /** The room, or null when there is none (no row, no member). */
    public RoomView room(String room) {
        if (!ProtocolCodec.ROOM_NAME.matcher(room).matches()) {
            return null;
        }
        RoomAccess.RoomInfo info = access.info(room);
        List<String> members = memberships.membersOf(room);
        if (info == null && members.isEmpty()) {
            return null;
        }
        String owner = info == null || RoomAccess.SERVER.equals(info.owner()) ? null : info.owner();
        return new RoomView(room, info != null && info.isPrivate(), owner, info == null ? 0 : info.lastSeq(), members,
                List.copyOf(rooms.online(room)));
    }

    /** A page of the room's history (newest last), before {@code before} (null: the latest), as the protocol's objects. */
    public List<ServerFrame> history(String room, Long before, int limit) {
        return store.before(room, before == null ? Long.MAX_VALUE : before, limit).messages().stream()
                .map(p -> WireMessages.of(p, false)).toList();
    }

    /** The user, or null when nobody has the name. */
    public UserView user(String user) {
        if (!knownUser(user)) {
            return null;
        }
        List<String> of = memberships.roomsOf(user);
        boolean online = !rooms.connectionsOf(user).isEmpty();
        for (int i = 0; i < of.size() && !online; i++) {
            online = rooms.online(of.get(i)).contains(user);
        }
        online = online || onlineElsewhere.test(user);
        return new UserView(user, online, of, users.banned(user));
    }

    /**
     * Closes every connection of {@code user} on every node with {@code code} (4503 when null),
     * carried on the user's channel. The sessions themselves stay valid (a page may sign in again);
     * a ban is what keeps a user out.
     *
     * @param code one of the close-code table's codes, or null
     * @return false when nobody has the name
     */
    public boolean disconnect(String user, Integer code) {
        if (!knownUser(user)) {
            return false;
        }
        bus.toUser(user, new RoomEvent.SessionsEnded(user, List.of(), true, code));
        return true;
    }

    /**
     * Bans the user (or lifts the ban): stored, so every node refuses their login, refresh, handshake
     * and direct messages to them from the next check on; a ban also closes every connection of theirs
     * on every node with 4503, as {@link #disconnect} does. A provider's user not seen here yet can be
     * banned too (a valid name is enough), so a ban can come before the first sign-in.
     *
     * @return false when the name is not a valid user name
     */
    public boolean ban(String user, boolean banned, String by) {
        if (!UserName.isValid(user) || user.startsWith(UserName.BOT_PREFIX)) {
            return false;
        }
        users.setBanned(user, banned, by);
        if (banned) {
            bus.toUser(user, new RoomEvent.SessionsEnded(user, List.of(), true));
        }
        return true;
    }

    private boolean knownUser(String name) {
        return UserName.isValid(name) && !name.startsWith(UserName.BOT_PREFIX) && users.known(name);
    }

    private boolean exists(String room) {
        return ProtocolCodec.ROOM_NAME.matcher(room).matches()
                && (access.info(room) != null || !memberships.membersOf(room).isEmpty());
    }
}
