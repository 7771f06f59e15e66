package io.edgegw.fanout;

import io.vertx.core.buffer.Buffer;

/**
 * One topic message on its way to subscribers: the exact line or binary frame the node sent, with the header fields
 * the gateway read from it. Immutable; the same instance goes to every subscriber.
 *
 * @param topic the message's topic
 * @param epoch the topic's epoch, or null for a control frame such as {@code gap}
 * @param offset the message's offset, or -1 for a control frame
 * @param payload a {@code String} JSON line or a {@code io.vertx.core.buffer.Buffer} binary frame, forwarded as is
 * @param receivedNanos {@link System#nanoTime()} when the upstream frame arrived, for the fan-out latency
 */
public record TopicDelivery(String topic, String epoch, long offset, Object payload, long receivedNanos) {

    public boolean isControl() {
        return epoch == null;
    }

    /** The payload's size: chars of a text line, bytes of a binary frame. */
    public int payloadLength() {
        return payload instanceof String line ? line.length() : ((Buffer) payload).length();
    }
}
