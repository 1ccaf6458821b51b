package dev.chat.room;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Room ownership and invitations of a single node, in memory (lost on restart, like its history). */
public final class MemoryRoomAccess implements RoomAccess {
    private record Acl(String owner, boolean isPrivate, Set<String> invited) { }

    private final ConcurrentHashMap<String, Acl> rooms = new ConcurrentHashMap<>();

    @Override
    public boolean create(String room, String owner, boolean isPrivate) {
        return rooms.putIfAbsent(room, new Acl(owner, isPrivate, ConcurrentHashMap.newKeySet())) == null;
    }

    @Override
    public boolean mayJoin(String room, String user) {
        Acl acl = rooms.get(room);
        return acl == null || !acl.isPrivate() || acl.owner().equals(user) || acl.invited().contains(user);
    }

    @Override
    public boolean invite(String room, String by, String user) {
        Acl acl = rooms.get(room);
        if (acl == null || !acl.owner().equals(by)) {
            return false;
        }
        acl.invited().add(user);
        return true;
    }

    @Override
    public void revoke(String room, String user) {
        Acl acl = rooms.get(room);
        if (acl != null) {
            acl.invited().remove(user);
        }
    }
}
