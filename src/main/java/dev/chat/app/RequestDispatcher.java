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
import dev.chat.room.MessageChanges;
import dev.chat.room.Messages;
import dev.chat.room.PrivateRooms;
import dev.chat.room.RoomRegistry;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one decoded client frame into a call on the room registry, the messages or the private
 * rooms (or, for {@code refresh}, on the token verifier), after the connection's rate limit. Runs
 * on the connection's inbound thread.
 */
public final class RequestDispatcher {
    private static final System.Logger LOG = System.getLogger(RequestDispatcher.class.getName());
    private final JwtTokenVerifier verifier;
    private final ChatMetrics metrics;
    private final AcceptedSends accepted;
    /** Every client frame type, by class: the constructor refuses to build a dispatcher that lacks one. */
    private final Map<Class<?>, Route<ClientFrame>> routes = new HashMap<>();

    public RequestDispatcher(RoomRegistry rooms, Messages messages, MessageChanges changes, PrivateRooms privateRooms,
                             JwtTokenVerifier verifier, ChatMetrics metrics, AcceptedSends accepted) {
        this.accepted = accepted;
        this.verifier = verifier;
        this.metrics = metrics;
        route(ClientFrame.Join.class, "join", (c, j) -> rooms.join(c, j.room(), j.since(), j.id()));
        route(ClientFrame.Leave.class, "leave", (c, l) -> rooms.leave(c, l.room(), l.id()));
        route(ClientFrame.Send.class, "send", (c, s) -> messages.send(c, s.room(), s.text(), s.replyTo(), s.id()));
        route(ClientFrame.Typing.class, "typing", (c, t) -> rooms.typing(c, t.room(), t.id()));
        route(ClientFrame.Direct.class, "send", (c, d) -> messages.direct(c, d.to(), d.text(), d.replyTo(), d.id()));
        route(ClientFrame.Change.class, ClientFrame.Change::kind, (c, ch) -> changes.change(c, ch));
        route(ClientFrame.DirectHistory.class, "history", (c, h) -> messages.directHistory(c, h.with(), h.before(), h.limit(), h.id()));
        route(ClientFrame.Create.class, "create", (c, cr) -> privateRooms.create(c, cr.room(), cr.isPrivate(), cr.id()));
        route(ClientFrame.Invite.class, "invite", (c, i) -> privateRooms.invite(c, i.room(), i.user(), i.id()));
        route(ClientFrame.Kick.class, "kick", (c, k) -> privateRooms.kick(c, k.room(), k.user(), k.id()));
        route(ClientFrame.History.class, "history", (c, h) -> messages.history(c, h.room(), h.before(), h.limit(), h.id()));
        route(ClientFrame.Refresh.class, "refresh", this::refresh);
        route(ClientFrame.Rooms.class, "rooms", (c, r) -> rooms.userRooms().rooms(c, r.id()));
        route(ClientFrame.Read.class, "read", (c, r) -> rooms.userRooms().read(c, r.room(), r.with(), r.seq(), r.id()));
        route(ClientFrame.Invalid.class, "invalid", (c, i) -> c.send(new ServerFrame.Error(i.code(), i.message(), i.id())));
        List<String> missing = unrouted(routes.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("client frames without a handler: " + missing);
        }
    }

    /** What handles one kind of frame, and the {@code chat_frames_in_total} type it counts as. */
    private record Route<F extends ClientFrame>(java.util.function.Function<F, String> metric, Handler<F> handler) { }

    @FunctionalInterface
    private interface Handler<F extends ClientFrame> {
        void handle(Connection c, F frame);
    }

    @SuppressWarnings("unchecked")
    private <F extends ClientFrame> void route(Class<F> type, String metric, Handler<F> handler) {
        route(type, f -> metric, handler);
    }

    /** A frame type that counts as one of several types (a {@link ClientFrame.Change} as its kind). */
    @SuppressWarnings("unchecked")
    private <F extends ClientFrame> void route(Class<F> type, java.util.function.Function<F, String> metric, Handler<F> handler) {
        routes.put(type, (Route<ClientFrame>) (Route<?>) new Route<>(metric, handler));
    }

    /**
     * The client frame types {@code routed} lacks: every permitted subtype of the sealed
     * {@link ClientFrame} but {@link ClientFrame.TooBig}, which closes the connection before any
     * route. A frame type added to the protocol without a route fails the start, not a user.
     */
    static List<String> unrouted(Set<Class<?>> routed) {
        List<String> missing = new ArrayList<>();
        for (Class<?> type : ClientFrame.class.getPermittedSubclasses()) {
            if (type != ClientFrame.TooBig.class && !routed.contains(type)) {
                missing.add(type.getSimpleName());
            }
        }
        return missing;
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
        Route<ClientFrame> route = routes.get(frame.getClass());
        metrics.frameIn(route.metric().apply(frame));
        route.handler().handle(c, frame);
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
