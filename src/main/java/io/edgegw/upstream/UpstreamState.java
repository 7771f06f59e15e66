package io.edgegw.upstream;

import java.util.Locale;

/** The states of one upstream connection; {@link #tag()} is the value of the {@code state} metric tag. */
public enum UpstreamState {
    /** Created, not started. */
    IDLE,
    /** Asking the node's {@code GET /health} whether it accepts gateways. */
    PROBING,
    /** Opening the WebSocket and waiting for the node's {@code welcome}. */
    CONNECTING,
    /** Welcomed: carries sessions, subscriptions and sends. */
    CONNECTED,
    /** Waiting a jittered delay before trying the next node. */
    BACKOFF,
    /** Leaving its node on purpose (shutdown): takes no new work. */
    DRAINING,
    /** Stopped for good. */
    CLOSED;

    private final String tag = name().toLowerCase(Locale.ROOT);

    public String tag() {
        return tag;
    }
}
