package dev.chat.store;

import dev.chat.event.RoomEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a room event does to the rows of the messages before it, inside the writer's commit (so a
 * change and its effect are one transaction): a message's mentions found among the room's members,
 * an edit's new text, a delete's blanking, a reaction's toggle. The writer calls these in seq order
 * after the rows before them are written.
 */
final class EventRows {
    /** "@" candidates looked up per message at most: a message cannot make the commit query a thousand names. */
    static final int MAX_MENTIONS = 20;
    /** Characters that end a mention without being part of the name: "@bob," and "(@bob)" mention bob. */
    private static final String TRAILING = ".,;:!?)]}'\"";

    private EventRows() {
    }

    /**
     * The names {@code text} may mention: each "@" followed by what runs up to the next white space,
     * and that run without its trailing punctuation. A name with a space cannot be mentioned this way.
     */
    static Set<String> candidates(String text) {
        Set<String> out = new LinkedHashSet<>();
        int at = text.indexOf('@');
        while (at >= 0 && out.size() < MAX_MENTIONS) {
            int end = at + 1;
            while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
                end++;
            }
            String run = text.substring(at + 1, end);
            while (!run.isEmpty()) {
                out.add(run);
                if (TRAILING.indexOf(run.charAt(run.length() - 1)) < 0) {
                    break;
                }
                run = run.substring(0, run.length() - 1);
            }
            at = text.indexOf('@', at + 1);
        }
        out.remove("");
        return out;
    }

    /** The members of {@code room} that {@code text} mentions, the sender aside, in the order mentioned; rows for their counts. */
    static List<String> mention(Connection c, String room, long seq, String sender, String text) throws SQLException {
        Set<String> candidates = candidates(text);
        candidates.remove(sender);
        if (candidates.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(candidates.size(), "?"));
        Set<String> members = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT user_name FROM memberships WHERE room = ? AND user_name IN (" + marks + ")")) {
            ps.setString(1, room);
            int i = 2;
            for (String name : candidates) {
                ps.setString(i++, name);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(rs.getString(1));
                }
            }
        }
        List<String> mentioned = new ArrayList<>();
        for (String name : candidates) {
            if (members.contains(name)) {
                mentioned.add(name);
            }
        }
        if (!mentioned.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO mentions (user_name, room, seq) VALUES (?, ?, ?)")) {
                for (String name : mentioned) {
                    ps.setString(1, name);
                    ps.setString(2, room);
                    ps.setLong(3, seq);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        return mentioned;
    }

    /** The stored form of a mention list: one name per line (a name holds no control character). */
    static String joined(List<String> mentions) {
        return mentions == null || mentions.isEmpty() ? null : String.join("\n", mentions);
    }

    static List<String> split(String stored) {
        return stored == null || stored.isEmpty() ? null : List.of(stored.split("\n"));
    }

    /** An edit: the message takes the new text and the edit's time, unless it was deleted meanwhile. */
    static void edit(Connection c, String room, long target, String text, long ts) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE messages SET text = ?, edited_at = ?"
                + " WHERE room = ? AND seq = ? AND kind = 'message' AND NOT deleted")) {
            ps.setString(1, text);
            ps.setLong(2, ts);
            ps.setString(3, room);
            ps.setLong(4, target);
            ps.executeUpdate();
        }
    }

    /**
     * A delete: the message keeps its seq and sender, loses its text, the texts of its edits, its
     * mentions (they no longer count) and its reactions.
     */
    static void delete(Connection c, String room, long target) throws SQLException {
        String[] statements = {
            "UPDATE messages SET deleted = TRUE, text = '', mentions = NULL WHERE room = ? AND seq = ? AND kind = 'message'",
            "UPDATE messages SET text = '' WHERE room = ? AND target = ? AND kind = 'edit'",
            "DELETE FROM mentions WHERE room = ? AND seq = ?",
            "DELETE FROM reactions WHERE room = ? AND seq = ?",
        };
        for (String sql : statements) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, room);
                ps.setLong(2, target);
                ps.executeUpdate();
            }
        }
    }

    /** A reaction toggles: @return whether the user's reaction is there now. */
    static boolean react(Connection c, String room, long target, String emoji, String user, long ts) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM reactions WHERE room = ? AND seq = ? AND emoji = ? AND user_name = ?")) {
            ps.setString(1, room);
            ps.setLong(2, target);
            ps.setString(3, emoji);
            ps.setString(4, user);
            if (ps.executeUpdate() > 0) {
                return false;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO reactions (room, seq, emoji, user_name, at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, room);
            ps.setLong(2, target);
            ps.setString(3, emoji);
            ps.setString(4, user);
            ps.setLong(5, ts);
            ps.executeUpdate();
        }
        return true;
    }

    /** What the writer does for one event after the rows before it are written; @return the event as committed. */
    static RoomEvent.Posted apply(Connection c, RoomEvent.Posted m, long seq) throws SQLException {
        RoomEvent.Detail d = m.details();
        switch (d.kind()) {
            case RoomEvent.Detail.EDIT -> edit(c, m.room(), d.target(), m.text(), m.ts());
            case RoomEvent.Detail.DELETE -> delete(c, m.room(), d.target());
            case RoomEvent.Detail.REACT -> {
                return m.withSeq(seq).withDetail(d.withOn(react(c, m.room(), d.target(), d.emoji(), m.from(), m.ts())));
            }
            default -> {
                if (m.text().indexOf('@') >= 0) {
                    List<String> mentioned = mention(c, m.room(), seq, m.from(), m.text());
                    if (!mentioned.isEmpty()) {
                        return m.withSeq(seq).withDetail(d.withMentions(mentioned));
                    }
                }
            }
        }
        return m.withSeq(seq);
    }

    /** Whether the writer must run {@link #apply} for this event (a plain message without "@" needs nothing). */
    static boolean needsApply(RoomEvent.Posted m) {
        return !RoomEvent.Detail.MESSAGE.equals(m.kind()) || m.text().indexOf('@') >= 0;
    }
}
