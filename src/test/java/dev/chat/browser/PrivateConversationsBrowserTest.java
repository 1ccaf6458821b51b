package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/** Direct messages and private rooms in the page, against the embedded server. */
class PrivateConversationsBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of());
    }

    @Test
    void aDirectMessageReachesTheOtherUserWhoAnswersInTheSameConversation() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        a.find("#members li[data-user='" + bob + "'] .member-open").click();
        a.present("#dm-list li.dm.current[data-user='" + bob + "']");
        assertEquals("@" + bob, a.find("#room-title").getText());
        a.send("Just between us");
        WebElement own = a.message(alice, "Just between us");
        a.waiter().until(d -> own.getDomAttribute("class").contains("sent"));

        // bob stays in #general: the conversation shows up with an unread count
        WebElement item = b.present("#dm-list li.dm[data-user='" + alice + "']");
        WebElement badge = item.findElement(By.cssSelector(".unread"));
        b.waiter().until(d -> badge.isDisplayed() && "1".equals(badge.getText()));
        assertEquals(0, count(b, alice, "Just between us"), "not shown in #general");
        item.findElement(By.cssSelector(".dm-open")).click();
        b.message(alice, "Just between us");
        b.waiter().until(d -> !badge.isDisplayed());

        b.send("Sure");
        a.message(bob, "Sure");
        assertEquals(1, count(a, alice, "Just between us"));
        assertEquals(1, count(b, alice, "Just between us"));
        assertNoDuplicateSeqs(a);
        assertNoDuplicateSeqs(b);
    }

    @Test
    void aConversationStartedByNameShowsItsHistory() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);
        a.find("#members li[data-user='" + bob + "'] .member-open").click();
        a.send("Earlier words");
        a.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());

        WebElement input = b.find("#dm-input");
        input.sendKeys(alice);
        input.sendKeys(Keys.ENTER);
        b.present("#dm-list li.dm.current[data-user='" + alice + "']");
        b.message(alice, "Earlier words");
        assertEquals(1, count(b, alice, "Earlier words"));
    }

    @Test
    void anInvitedUserJoinsAPrivateRoomFromTheInvitation() {
        String alice = user("alice");
        String bob = user("bob");
        String room = "secret-" + alice;
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        a.find("#room-private").click();
        a.find("#room-input").sendKeys(room, Keys.ENTER);
        a.waitJoined(room, alice);
        WebElement invite = a.visible("#invite-form #invite-input");
        invite.sendKeys(bob, Keys.ENTER);

        WebElement invitation = b.present("#invitations li.invitation[data-room='" + room + "']");
        assertTrue(Browser.read(Browser.text(invitation)).contains(alice + " invited you to #" + room));
        invitation.findElement(By.cssSelector(".invitation-join")).click();
        b.waitJoined(room, bob);
        a.present("#members li[data-user='" + bob + "']");
        assertTrue(b.find("#invite-form").getDomAttribute("hidden") != null, "only the owner invites");
        b.send("Thanks for the invite");
        a.message(bob, "Thanks for the invite");
    }

    @Test
    void joiningAPrivateRoomWithoutAnInvitationIsRefused() {
        String alice = user("alice");
        String bob = user("bob");
        String room = "closed-" + alice;
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);
        a.find("#room-private").click();
        a.find("#room-input").sendKeys(room, Keys.ENTER);
        a.waitJoined(room, alice);

        b.find("#room-input").sendKeys(room, Keys.ENTER);
        b.waiter().until(d -> d.findElements(By.cssSelector("#toast .toast-item")).stream()
                .anyMatch(t -> t.getText().contains("private")));
        b.waiter().until(d -> d.findElements(By.cssSelector("#room-list li.room[data-room='" + room + "']")).isEmpty());
    }

    @Test
    void aKickedUserLosesTheRoomAndIsToldWhy() throws Exception {
        String admin = user("admin");
        String bob = user("bob");
        String room = "kick-" + bob;
        server.token(admin); // registered, so its admin token is accepted
        Browser b = inGeneral(bob).get(0);
        b.find("#room-input").sendKeys(room, Keys.ENTER);
        b.waitJoined(room, bob);

        try (WsClient moderator = server.client(SeededUsers.adminToken(admin))) {
            moderator.join(room);
            moderator.send(Map.of("type", "kick", "room", room, "user", bob, "id", "k1"));
            b.waiter().until(d -> d.findElements(By.cssSelector("#room-list li.room[data-room='" + room + "']")).isEmpty());
        }
        b.waiter().until(d -> d.findElements(By.cssSelector("#toast .toast-item")).stream()
                .anyMatch(t -> t.getText().contains("You were removed from #" + room + " by " + admin + " (kicked)")));
        assertEquals("#general", b.find("#room-title").getText());
    }
}
