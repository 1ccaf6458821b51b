package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Open pages across a restart of the (single, in-memory) server: it comes back on the same port
 * with the same users but with empty history and seqs starting again at 1, and the pages must
 * notice, start their view over and carry on without showing anything twice.
 */
class ServerRestartBrowserTest extends BrowserTestSupport {
    /** The server is replaced by each restart; the port stays, so the pages' URL does too. */
    @BeforeAll
    static void startServer() {
        serve(Map.of("CHAT_PORT", String.valueOf(freePort())));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void bothPagesReconnectAfterARestartAndShowNewMessagesExactlyOnce() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);
        expectFailedReconnects();
        a.send("Before the restart");
        b.message(alice, "Before the restart");

        server = server.restart();

        // Each page rejoins with its last seq, which the fresh server does not have: it starts over.
        for (Browser page : pair) {
            page.present("#messages li.gap-notice");
            page.present("#conn-state[data-state='online']");
            page.present("#room-list li.room[data-room='general']:not(.joining)");
        }
        assertEquals("Some messages could not be recovered", a.find("#messages li.gap-notice .system-text").getText());
        a.send("After the restart");
        b.message(alice, "After the restart");
        // Messages are delivered in order: once the reply is there, any duplicate would be too.
        b.send("Welcome back");
        a.message(bob, "Welcome back");
        a.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());

        for (Browser page : pair) {
            assertEquals(1, count(page, alice, "After the restart"));
            assertEquals(1, count(page, bob, "Welcome back"));
            assertEquals(0, count(page, alice, "Before the restart"), "the old view was started over");
            assertNoDuplicateSeqs(page);
        }
        assertEquals("1", a.find("#messages li.msg[data-from='" + alice + "']").getDomAttribute("data-seq"),
                "the restarted server's seq 1 is shown, not dropped as a duplicate of the old seq 1");
    }
}
