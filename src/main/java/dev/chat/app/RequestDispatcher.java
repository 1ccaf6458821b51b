package dev.chat.app;

import dev.chat.connection.Connection;
import dev.chat.connection.RateLimiter;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.ClientFrame;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ServerFrame;
import dev.chat.room.RoomRegistry;

/**
 * Turns one decoded client frame into a call on the room registry, after the connection's rate
 * limit. Runs on the connection's inbound thread.
 */
public final class RequestDispatcher {
    private final RoomRegistry rooms;

    private final ChatMetrics metrics;

    public RequestDispatcher(RoomRegistry rooms, ChatMetrics metrics) {
        this.rooms = rooms;
        this.metrics = metrics;
    }

    public void dispatch(Connection c, ClientFrame frame) {
        if (frame instanceof ClientFrame.TooBig) {
            metrics.limitHit(CloseCode.TOO_BIG.label());
            c.close(CloseCode.TOO_BIG);
            return;
        }
        long now = System.nanoTime();
        c.touch(now);
        RateLimiter.Verdict verdict = c.acquire(now);
        if (verdict == RateLimiter.Verdict.FLOODING) {
            c.close(CloseCode.FLOODING);
            return;
        }
        if (verdict == RateLimiter.Verdict.REFUSE) {
            metrics.rateLimited();
            c.send(new ServerFrame.Error(ErrorCode.RATE_LIMITED, "too many frames; this one was dropped", frame.id()));
            return;
        }
        if (frame instanceof ClientFrame.Join j) {
            metrics.frameIn("join");
            rooms.join(c, j.room(), j.since(), j.id());
        } else if (frame instanceof ClientFrame.Leave l) {
            metrics.frameIn("leave");
            rooms.leave(c, l.room(), l.id());
        } else if (frame instanceof ClientFrame.Send s) {
            metrics.frameIn("send");
            rooms.send(c, s.room(), s.text(), s.id());
        } else if (frame instanceof ClientFrame.Typing t) {
            metrics.frameIn("typing");
            rooms.typing(c, t.room(), t.id());
        } else if (frame instanceof ClientFrame.History h) {
            metrics.frameIn("history");
            rooms.history(c, h.room(), h.before(), h.limit(), h.id());
        } else if (frame instanceof ClientFrame.Invalid i) {
            metrics.frameIn("invalid");
            c.send(new ServerFrame.Error(i.code(), i.message(), i.id()));
        }
    }
}
