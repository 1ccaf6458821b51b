package dev.chat.bus;

import dev.chat.event.RoomEvent;
import java.util.concurrent.CompletableFuture;

/**
 * The single-node bus: every event goes straight to the node's own listener, on the publishing
 * thread, through the same listener as the Redis bus. Nothing to subscribe to, nothing to lose.
 */
public final class MemoryBus implements Bus {
    private volatile Listener listener;

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    @Override
    public CompletableFuture<Void> subscribe(String room) {
        return CompletableFuture.completedFuture(null); // one node: every room is local already
    }

    @Override
    public void unsubscribe(String room) {
        // nothing to stop receiving
    }

    @Override
    public void subscribeUser(String user) {
        // one node: every user is local already
    }

    @Override
    public void unsubscribeUser(String user) {
        // nothing to stop receiving
    }

    @Override
    public void publish(RoomEvent event) {
        listener.onEvent(event);
    }

    @Override
    public void toUser(String user, RoomEvent event) {
        listener.onEvent(event);
    }

    @Override
    public boolean healthy() {
        return true;
    }

    @Override
    public void close() {
        // nothing held
    }
}
