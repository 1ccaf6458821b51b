package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Open pages across a restart of the (single) server: it comes back on the same port with the same
 * users, history and epoch (its database keeps them), so the pages rejoin from their last seq and
 * carry on where they were, showing nothing twice and no gap.
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

        // The history is in the database: each page rejoins with its last seq and simply carries on.
        for (Browser page : pair) {
            page.present("#conn-state[data-state='online']");
            page.present("#room-list li.room[data-room='general']:not(.joining)");
        }
        a.send("After the restart");
        b.message(alice, "After the restart");
        // Messages are delivered in order: once the reply is there, any duplicate would be too.
        b.send("Welcome back");
        a.message(bob, "Welcome back");
        a.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());

        for (Browser page : pair) {
            assertEquals(1, count(page, alice, "After the restart"));
            assertEquals(1, count(page, bob, "Welcome back"));
            assertEquals(1, count(page, alice, "Before the restart"), "the conversation is still there, once");
            assertTrue(page.findAll("#messages li.gap-notice").isEmpty(), "nothing was lost, so no gap is shown");
            assertNoDuplicateSeqs(page);
        }
        List<String> seqs = a.findAll("#messages li.msg[data-from='" + alice + "']").stream()
                .map(e -> e.getDomAttribute("data-seq")).toList();
        assertEquals(List.of("1", "2"), seqs, "the seqs go on across the restart");
    }
}
