package io.edgegw.fanout;

/**
 * What the fan-out needs of a browser session. Every method is called on the subscriber's own event loop, the
 * loop of the {@link FanoutShard} it belongs to.
 */
public interface Subscriber {

    /** True when this session's own ignore list covers {@code topic}. */
    boolean ignores(String topic);

    /**
     * Queues one topic message for the next flush (or holds it behind a recovery); the delivery is shared by every
     * subscriber, never modified. False when it is refused instead, to a link the gateway is closing: not delivered.
     */
    boolean deliver(TopicDelivery delivery);

    /** Writes what was queued since the last flush, as few frames as possible. */
    void flush();
}
