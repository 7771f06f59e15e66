package io.edgegw.fanout;

/**
 * One topic message on its way to the subscribers of one shard: the exact line or binary frame the node sent.
 *
 * @param topic the message's topic
 * @param payload a {@code String} JSON line or a {@code io.vertx.core.buffer.Buffer} binary frame, forwarded as is
 * @param receivedNanos {@link System#nanoTime()} when the upstream frame arrived, for the fan-out latency
 */
public record TopicDelivery(String topic, Object payload, long receivedNanos) {
}
