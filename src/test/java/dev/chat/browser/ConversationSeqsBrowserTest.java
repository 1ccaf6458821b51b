package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The page's seq bookkeeping ({@code state.js}, no DOM) in Chromium: the module is imported by
 * the page the server serves, and each test drives one conversation and reads back, after each
 * step, its gap-free seq ({@code lastSeq}, the {@code since} of a rejoin) and the gap above it.
 */
class ConversationSeqsBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of());
    }

    @Test
    void anAckAheadOfMissingMessagesDoesNotMoveTheSince() {
        assertEquals(List.of("10 11-12", "11 12-12", "13 none"),
                run("r.skipTo(10); r.markSeq(13); step(); r.markSeq(11); step(); r.markSeq(12); step();"));
    }

    @Test
    void aSeqSeenBeforeIsADuplicate() {
        assertEquals(List.of("true", "false", "true", "false"),
                run("r.skipTo(4); for (const s of [5, 5, 7, 7]) out.push(String(r.markSeq(s)));"));
    }

    @Test
    void aFreshViewStartsWhereTheJoinSaysAndOlderPagesDoNotMoveIt() {
        assertEquals(List.of("null none", "120 none", "120 none"),
                run("for (let s = 71; s <= 120; s++) r.markSeq(s); step(); r.skipTo(120); step();"
                        + " for (let s = 21; s <= 70; s++) r.markSeq(s); step();"));
    }

    @Test
    void aReplayOfTheLatestLeavesTheGapBelowItUntilFilled() {
        assertEquals(List.of("3 4-18", "3 4-13", "23 none"),
                run("r.skipTo(3); for (let s = 19; s <= 23; s++) r.markSeq(s); r.know(23); step();"
                        + " for (let s = 18; s >= 14; s--) r.markSeq(s); step();"
                        + " for (let s = 13; s >= 4; s--) r.markSeq(s); step();"));
    }

    @Test
    void aStretchTheServerNoLongerHasIsPassedOver() {
        assertEquals(List.of("3 4-10", "23 none"),
                run("r.skipTo(3); for (let s = 11; s <= 23; s++) r.markSeq(s); step(); r.skipTo(10); step();"));
    }

    @Test
    void theRoomsLatestSeqBeyondWhatWasSeenIsAGapToo() {
        assertEquals(List.of("5 6-9", "9 none"),
                run("r.skipTo(5); r.know(9); step(); for (const s of [9, 7, 8, 6]) r.markSeq(s); step();"));
    }

    @Test
    void resettingForgetsEverySeq() {
        assertEquals(List.of("3 4-5", "null none", "true"),
                run("r.skipTo(3); r.markSeq(6); step(); r.resetSeqs(); step(); out.push(String(r.markSeq(6)));"));
    }

    /**
     * Runs {@code body} on a fresh {@code Room} {@code r}; {@code step()} records
     * "lastSeq from-to" (or "lastSeq none"), and {@code out} collects what the body pushes.
     */
    @SuppressWarnings("unchecked")
    private List<String> run(String body) {
        Browser page = desktops(1).get(0);
        page.load(base());
        Object result = page.driver().executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                + "import(new URL('state.js', location.href).href).then(({ Room }) => {"
                + "  const r = new Room('x'); const out = [];"
                + "  const step = () => { const g = r.gap(); out.push(`${r.lastSeq} ${g ? `${g.from}-${g.to}` : 'none'}`); };"
                + body
                + "  done(out);"
                + "}).catch((e) => done(['error: ' + e]));");
        return (List<String>) result;
    }
}
