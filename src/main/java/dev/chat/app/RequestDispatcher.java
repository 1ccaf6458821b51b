package dev.chat.app;

import dev.chat.log.LogText;
import dev.chat.auth.JwtTokenVerifier;
import dev.chat.auth.Principal;
import dev.chat.auth.TokenRejectedException;
import dev.chat.connection.Connection;
import dev.chat.connection.RateLimiter;
import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.ClientFrame;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ServerFrame;
import dev.chat.room.AcceptedSends;
import dev.chat.room.Messages;
import dev.chat.room.PrivateRooms;
import dev.chat.room.RoomRegistry;
import java.lang.System.Logger.Level;

/**
 * Turns one decoded client frame into a call on the room registry, the messages or the private
 * rooms (or, for {@code refresh}, on the token verifier), after the connection's rate limit. Runs
 * on the connection's inbound thread.
 */
public final class RequestDispatcher {
    private static final System.Logger LOG = System.getLogger(RequestDispatcher.class.getName());
    private final RoomRegistry rooms;
    private final Messages messages;
    private final PrivateRooms privateRooms;
    private final JwtTokenVerifier verifier;
    private final ChatMetrics metrics;
    private final AcceptedSends accepted;

    public RequestDispatcher(RoomRegistry rooms, Messages messages, PrivateRooms privateRooms, JwtTokenVerifier verifier,
                             ChatMetrics metrics, AcceptedSends accepted) {
        this.accepted = accepted;
        this.rooms = rooms;
        this.messages = messages;
        this.privateRooms = privateRooms;
        this.verifier = verifier;
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
        RateLimiter.Verdict verdict = isResendOfACommittedMessage(c, frame, now) ? RateLimiter.Verdict.ALLOW : c.acquire(now);
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
            messages.send(c, s.room(), s.text(), s.id());
        } else if (frame instanceof ClientFrame.Typing t) {
            metrics.frameIn("typing");
            rooms.typing(c, t.room(), t.id());
        } else if (frame instanceof ClientFrame.Direct d) {
            metrics.frameIn("send");
            messages.direct(c, d.to(), d.text(), d.id());
        } else if (frame instanceof ClientFrame.DirectHistory h) {
            metrics.frameIn("history");
            messages.directHistory(c, h.with(), h.before(), h.limit(), h.id());
        } else if (frame instanceof ClientFrame.Create cr) {
            metrics.frameIn("create");
            privateRooms.create(c, cr.room(), cr.isPrivate(), cr.id());
        } else if (frame instanceof ClientFrame.Invite i) {
            metrics.frameIn("invite");
            privateRooms.invite(c, i.room(), i.user(), i.id());
        } else if (frame instanceof ClientFrame.Kick k) {
            metrics.frameIn("kick");
            privateRooms.kick(c, k.room(), k.user(), k.id());
        } else if (frame instanceof ClientFrame.History h) {
            metrics.frameIn("history");
            messages.history(c, h.room(), h.before(), h.limit(), h.id());
        } else if (frame instanceof ClientFrame.Refresh r) {
            metrics.frameIn("refresh");
            refresh(c, r);
        } else if (frame instanceof ClientFrame.Invalid i) {
            metrics.frameIn("invalid");
            c.send(new ServerFrame.Error(i.code(), i.message(), i.id()));
        }
    }

    /**
     * A send whose id this node committed for the user lately, for the first time since: the
     * client lost the ack and resends (the page does, all at once, after an outage). It costs no
     * token, so a resend after an outage is never a flood; each commit buys one such resend.
     */
    private boolean isResendOfACommittedMessage(Connection c, ClientFrame frame, long now) {
        if (frame instanceof ClientFrame.Send s) {
            return accepted.takeResend(c.user(), s.room(), s.id(), now);
        }
        if (frame instanceof ClientFrame.Direct d) {
            return accepted.takeResend(c.user(), RoomEvent.directRoom(c.user(), d.to()), d.id(), now);
        }
        return false;
    }

    /**
     * Extends the connection's life with a newer token of the same user. A token that fails any
     * check of the handshake, or speaks for someone else, changes nothing: the connection keeps its
     * old expiry and is closed with 4501 when that comes. The reason is not echoed beyond the code.
     */
    private void refresh(Connection c, ClientFrame.Refresh r) {
        Principal newer;
        try {
            newer = verifier.verify(r.token());
        } catch (TokenRejectedException e) {
            LOG.log(Level.INFO, "refresh refused on {0}: {1}", c, e.getMessage());
            c.send(new ServerFrame.Error(ErrorCode.UNAUTHORIZED, "token refused; the connection keeps its expiry", r.id()));
            return;
        }
        if (!c.refresh(newer)) {
            LOG.log(Level.WARNING, "refresh refused on {0}: a token of user {1}", c, LogText.name(newer.user()));
            c.send(new ServerFrame.Error(ErrorCode.UNAUTHORIZED, "the token is another user's", r.id()));
            return;
        }
        c.send(new ServerFrame.Refreshed(newer.expiresAt().toString(), r.id()));
    }
}
