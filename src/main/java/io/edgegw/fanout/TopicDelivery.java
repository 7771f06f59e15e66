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
 * @param gap for a {@code gap} frame with a range, the range it declares lost (a session replaying the topic must
 *            not announce what its replay delivered); null for anything else, a {@code reset} gap included
 */
public record TopicDelivery(String topic, String epoch, long offset, Object payload, long receivedNanos, Gap gap) {

    /** Offsets {@code from..to} of {@code epoch}, declared lost. */
    public record Gap(String epoch, long from, long to) {
    }

    public TopicDelivery(String topic, String epoch, long offset, Object payload, long receivedNanos) {
        this(topic, epoch, offset, payload, receivedNanos, null);
    }

    /** The frame {@code {"type":"gap","topic":…,"epoch":…,"from":…,"to":…}}, with its range. */
    public static TopicDelivery gap(String topic, Gap gap, long receivedNanos) {
        String line = "{\"type\":\"gap\",\"topic\":" + Json.quote(topic) + ",\"epoch\":" + Json.quote(gap.epoch())
                + ",\"from\":" + gap.from() + ",\"to\":" + gap.to() + "}";
        return new TopicDelivery(topic, null, -1, line, receivedNanos, gap);
    }

    /** A position in a topic, not a message: only ever read for its epoch and offset, never written to anyone. */
    static TopicDelivery position(String topic, String epoch, long offset) {
        return new TopicDelivery(topic, epoch, offset, "", 0);
    }

    public boolean isControl() {
        return epoch == null;
    }

    /** The payload's size: chars of a text line, bytes of a binary frame. */
    public int payloadLength() {
        return payload instanceof String line ? line.length() : ((Buffer) payload).length();
    }
}
