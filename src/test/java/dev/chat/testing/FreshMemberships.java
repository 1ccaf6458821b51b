package dev.chat.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test, every server a test started ends its stored room memberships, as if each user had
 * left each room. Rooms follow the user from one connection to the next (that is the product), and
 * the tests of a class share a server, a data directory and their users: without this, a user's
 * rooms from one test would greet it, with their presence and messages, in the next. Registered for
 * every test by autodetection ({@code junit-platform.properties}).
 */
public final class FreshMemberships implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        TestServer.forgetEveryMembership();
    }
}
