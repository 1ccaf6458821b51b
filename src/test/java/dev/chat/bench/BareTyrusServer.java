package dev.chat.bench;

import jakarta.websocket.OnClose;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.glassfish.tyrus.server.Server;

/**
 * The baseline the benchmarks compare against: a Tyrus endpoint written the way the tutorials do
 * it, a static set of sessions and a loop of {@code getBasicRemote().sendText} on every message.
 * No auth, no rooms, no coalescing: it speaks the generator's "raw" dialect (plain text broadcast
 * to every session, the sender's own included), like the gorilla/websocket chat example.
 *
 * <p>{@code java -cp ... dev.chat.bench.BareTyrusServer PORT}; prints "bare-tyrus listening" when ready.
 */
public final class BareTyrusServer {
    private BareTyrusServer() {
    }

    /** The naive endpoint: the anti-pattern of STYLE.md on purpose, since it is what we measure against. */
    @ServerEndpoint("/ws")
    public static final class Broadcast {
        private static final Set<Session> SESSIONS = ConcurrentHashMap.newKeySet();

        @OnOpen
        public void open(Session session) {
            SESSIONS.add(session);
        }

        @OnClose
        public void close(Session session) {
            SESSIONS.remove(session);
        }

        @OnMessage
        public void message(String text) {
            for (Session s : SESSIONS) {
                try {
                    s.getBasicRemote().sendText(text);
                } catch (IOException | RuntimeException e) {
                    SESSIONS.remove(s);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args.length > 0 ? args[0] : "8090");
        Server server = new Server("127.0.0.1", port, "/", Map.of(), Broadcast.class);
        server.start();
        System.out.println("bare-tyrus listening on ws://127.0.0.1:" + port + "/ws");
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
        new CountDownLatch(1).await();
    }
}
