package dev.chat.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which names a text may mention: "@" and what runs to the next space, with and without trailing punctuation. */
class EventRowsTest {
    @Test
    void aMentionIsTheRunAfterTheAtWithOrWithoutItsTrailingPunctuation() {
        assertEquals(List.of("bob,", "bob", "carol"), List.copyOf(EventRows.candidates("hi @bob, and @carol")));
        assertEquals(List.of("erin@example.com", "example.com"), List.copyOf(EventRows.candidates("@erin@example.com")));
        assertEquals(List.of("bob)", "bob"), List.copyOf(EventRows.candidates("(cc @bob)")));
        assertEquals(List.of(), List.copyOf(EventRows.candidates("an @ alone, and a trailing @")));
        assertEquals(List.of("a+b"), List.copyOf(EventRows.candidates("to @a+b\nnext line")));
    }

    @Test
    void aTextCannotMakeTheCommitLookUpMoreThanTwentyNames() {
        String many = "@u ".repeat(5) + String.join(" ", java.util.stream.IntStream.range(0, 100).mapToObj(i -> "@n" + i).toList());
        assertEquals(EventRows.MAX_MENTIONS, EventRows.candidates(many).size());
    }
}
