package io.edgegw.client;

/** Error codes of {@code error} frames (PROTOCOL.md section 1); a node's {@code nack} code is passed through as is. */
public enum ErrorCode {
    /** Not JSON, a missing field, a wrong type, a binary frame, a duplicate in-flight id. */
    BAD_REQUEST,
    /** A {@code type} the gateway does not know. */
    UNKNOWN_TYPE,
    /** The session would exceed {@code gateway.client.max-subscriptions}: subscriptions, or its ignore list. */
    TOO_MANY_SUBSCRIPTIONS,
    /** A topic or pattern that breaks the topic rules. */
    INVALID_TOPIC,
    /** The session sends requests faster than allowed, or has too many sends in flight. */
    RATE_LIMITED,
    /** The topic is not permitted for this user. */
    NOT_ALLOWED,
    /** A {@code send} could not be handed to any node in time; if it was written to a node, its outcome is unknown. */
    UPSTREAM_UNAVAILABLE,
    /**
     * Sent first on a resumed link (no {@code id}): directs and acks that came while the link was down were dropped
     * past {@code gateway.session.held-frames}, oldest first; the message says how many.
     */
    HELD_FRAMES_DROPPED;

    private final String wireName = name().toLowerCase(java.util.Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
