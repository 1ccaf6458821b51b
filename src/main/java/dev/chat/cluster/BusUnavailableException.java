package dev.chat.cluster;

/** The cluster's store cannot be reached (Redis down): nothing was sequenced, stored or published. */
public final class BusUnavailableException extends RuntimeException {
    public BusUnavailableException(Throwable cause) {
        super("cluster store unavailable", cause);
    }
}
