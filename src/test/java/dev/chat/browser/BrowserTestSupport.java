package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.chat.protocol.CloseCode;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.openqa.selenium.By;

/**
 * What the browser test classes share: one embedded server per class, fresh user names, browsers
 * started at once and closed (with their consoles checked for errors) after each test, and users
 * registered straight into a room.
 */
abstract class BrowserTestSupport {
    private static final AtomicInteger USERS = new AtomicInteger();

    /** The running class's server: its {@code @BeforeAll} starts it with {@link #serve}; it may replace it (a restart). */
    static TestServer server;

    /** Starts the class's server with these settings, once Chromium is known to be there. */
    static void serve(Map<String, String> settings) {
        Browser.requireInstalled();
        server = TestServer.start(settings);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    final List<Browser> browsers = new ArrayList<>();
    /** Console errors a test expects (e.g. refused reconnects while the server is down), by pattern. */
    private final List<Pattern> expectedErrors = new ArrayList<>();

    /** The server the pages are loaded from (it may change between tests, never within one). */
    URI base() {
        return server.base();
    }

    @AfterEach
    void closeBrowsers() {
        List<String> errors = new ArrayList<>();
        try {
            for (Browser browser : browsers) {
                browser.consoleErrors().stream()
                        .filter(e -> expectedErrors.stream().noneMatch(p -> p.matcher(e).find()))
                        .forEach(errors::add);
            }
        } finally {
            browsers.forEach(Browser::close);
            browsers.clear();
            expectedErrors.clear();
        }
        assertEquals(List.of(), errors, "errors in the browser console");
    }

    /** The browser logs each failed WebSocket attempt as an error; a test that cuts the line expects them. */
    void expectFailedReconnects() {
        expectedErrors.add(Pattern.compile("WebSocket connection to '[^']*' failed"));
    }

    /** Starts the browsers at once; they are closed (and their consoles checked) after the test. */
    List<Browser> start(List<Supplier<Browser>> kinds) {
        List<Browser> started = Browser.startAll(kinds);
        browsers.addAll(started);
        return started;
    }

    List<Browser> desktops(int count) {
        return start(Collections.nCopies(count, Browser::desktop));
    }

    static String user(String name) {
        return name + USERS.incrementAndGet();
    }

    /** Registers each user in a desktop browser of its own, all at once; returns when all are in #general. */
    List<Browser> inGeneral(String... names) {
        List<Browser> started = desktops(names.length);
        List<CompletableFuture<Void>> joining = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            Browser browser = started.get(i);
            String name = names[i];
            joining.add(CompletableFuture.runAsync(() -> {
                browser.register(base(), name);
                browser.waitJoined("general", name);
            }));
        }
        joining.forEach(CompletableFuture::join);
        for (int i = 0; i < names.length; i++) {
            for (String other : names) {
                started.get(i).present("#members li[data-user='" + other + "']");
            }
        }
        return started;
    }

    /** How many messages in view have exactly this author and text. */
    static long count(Browser browser, String from, String text) {
        return browser.findAll("#messages li.msg[data-from='" + from + "']").stream()
                .filter(m -> text.equals(Browser.text(m.findElement(By.cssSelector(".text")))))
                .count();
    }

    /**
     * Takes a page off the network: Chrome's offline emulation fails new connections but leaves an
     * open WebSocket alone, so the server also drops the user's socket, as a lost line would.
     */
    void cutOff(Browser page, String user) {
        expectFailedReconnects();
        page.offline(true);
        server.server().app().connections().all().stream()
                .filter(c -> c.user().equals(user))
                .forEach(c -> c.close(CloseCode.IDLE_TIMEOUT));
        page.present("#conn-state[data-state='reconnecting']");
    }

    /**
     * Sends these texts at once, to a room ({@code "room"}) or a user ({@code "to"}), then waits for
     * every ack (skipping presence and other frames meanwhile); returns their seqs in order.
     */
    static List<Long> sayAll(WsClient client, String key, String target, List<String> texts) throws InterruptedException {
        List<String> ids = new ArrayList<>();
        for (String text : texts) {
            String id = client.nextId();
            ids.add(id);
            client.send(Map.of("type", "send", key, target, "text", text, "id", id));
        }
        Map<String, Long> seqs = new HashMap<>();
        while (seqs.size() < ids.size()) {
            Map<String, Object> frame = client.next();
            assertNotEquals("error", frame.get("type"), () -> "a send was refused: " + frame);
            if ("ack".equals(frame.get("type")) && ids.contains(frame.get("id"))) {
                seqs.put((String) frame.get("id"), ((Number) frame.get("seq")).longValue());
            }
        }
        return ids.stream().map(seqs::get).toList();
    }

    /** The next frame of this type the client gets, skipping others (presence, typing, ...). */
    static Map<String, Object> nextOf(WsClient client, String type) throws InterruptedException {
        Map<String, Object> frame;
        while (!type.equals((frame = client.next()).get("type"))) {
            assertNotEquals("error", frame.get("type"), frame::toString);
        }
        return frame;
    }

    static List<Long> seqs(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    /**
     * From now on the page records every message element taken out of #messages
     * ({@code window.removedMessages}, their seqs): what it has shown must stay shown.
     */
    static void watchRemovals(Browser page) {
        page.js("const removed = window.removedMessages = [];"
                + "new MutationObserver((records) => { for (const r of records) for (const n of r.removedNodes)"
                + "  if (n.nodeType === 1 && n.matches('li.msg')) removed.push(n.dataset.seq ?? '?'); })"
                + ".observe(document.getElementById('messages'), {childList: true});");
    }

    @SuppressWarnings("unchecked")
    static List<Object> removedMessages(Browser page) {
        return (List<Object>) page.js("return window.removedMessages;");
    }

    /** The seqs of the messages in view, top to bottom. */
    @SuppressWarnings("unchecked")
    static List<Long> seqsInView(Browser page) {
        return ((List<Object>) page.js("return [...document.querySelectorAll('#messages li.msg[data-seq]')]"
                + ".map(m => Number(m.dataset.seq));")).stream().map(n -> ((Number) n).longValue()).toList();
    }

    /** The texts of the messages in view that have a seq, top to bottom. */
    @SuppressWarnings("unchecked")
    static List<String> textsInView(Browser page) {
        return (List<String>) page.js("return [...document.querySelectorAll('#messages li.msg[data-seq]')]"
                + ".map(m => m.querySelector('.text').textContent);");
    }

    /** No two messages in view share a seq. */
    static void assertNoDuplicateSeqs(Browser browser) {
        @SuppressWarnings("unchecked")
        List<String> seqs = (List<String>) browser.js(
                "return [...document.querySelectorAll('#messages li.msg[data-seq]')].map(m => m.dataset.seq);");
        assertEquals(seqs.stream().distinct().count(), seqs.size(), "duplicate seqs in view: " + seqs);
    }
}
