package dev.chat.webhook;

import dev.chat.event.RoomEvent;
import dev.chat.event.WebhookEvent;
import dev.chat.store.WebhookOutbox;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The webhooks' one wire: a batch is {@code {"events":[…]}}, each event {@code {"id","type","ts",…}}
 * with its own fields (the README's Webhooks table; golden files in
 * {@code src/test/resources/golden/webhook/}). Built with JSON-P, so any text is escaped and no field
 * can forge another. An event of a direct conversation names its two users ({@code from} or
 * {@code by}, and {@code to}) instead of the internal room.
 */
public final class WebhookCodec {
    private WebhookCodec() {
    }

    /** The batch's body; {@code epoch} makes the ids unique beyond this database's sequence. */
    public static String batch(String epoch, List<WebhookOutbox.Queued> events) {
        JsonArrayBuilder array = Json.createArrayBuilder();
        for (WebhookOutbox.Queued q : events) {
            array.add(event(id(epoch, q.id()), q.event()));
        }
        return Json.createObjectBuilder().add("events", array).build().toString();
    }

    /** An event's id: the epoch (which names the database) and the outbox's id, never handed out twice. */
    public static String id(String epoch, long outboxId) {
        return epoch + "-" + outboxId;
    }

    public static JsonObject event(String id, WebhookEvent e) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("id", id).add("type", e.type())
                .add("ts", DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(e.ts())));
        if (e instanceof WebhookEvent.MessageCreated m) {
            conversation(b, m.room(), "from", m.from()).add("seq", m.seq()).add("text", m.text());
            if (m.replyTo() != null) {
                b.add("replyTo", m.replyTo());
            }
        } else if (e instanceof WebhookEvent.MessageEdited m) {
            conversation(b, m.room(), "from", m.from()).add("seq", m.seq()).add("target", m.target()).add("text", m.text());
        } else if (e instanceof WebhookEvent.MessageDeleted m) {
            conversation(b, m.room(), "by", m.by()).add("seq", m.seq()).add("target", m.target());
        } else if (e instanceof WebhookEvent.MemberJoined m) {
            b.add("room", m.room()).add("user", m.user());
        } else if (e instanceof WebhookEvent.MemberLeft m) {
            b.add("room", m.room()).add("user", m.user());
        } else if (e instanceof WebhookEvent.RoomCreated r) {
            b.add("room", r.room()).add("private", r.isPrivate());
            if (r.owner() == null) {
                b.addNull("owner");
            } else {
                b.add("owner", r.owner());
            }
        } else if (e instanceof WebhookEvent.UserOnline u) {
            b.add("user", u.user());
        } else if (e instanceof WebhookEvent.UserOffline u) {
            b.add("user", u.user());
        }
        return b.build();
    }

    /** A room's {@code room} and the actor, or a direct conversation's actor and {@code to}, the other user. */
    private static JsonObjectBuilder conversation(JsonObjectBuilder b, String room, String actorField, String actor) {
        String[] users = RoomEvent.directUsers(room);
        if (users == null) {
            return b.add("room", room).add(actorField, actor);
        }
        return b.add(actorField, actor).add("to", users[0].equals(actor) ? users[1] : users[0]);
    }
}
