package io.edgegw.fanout;

/**
 * What the fan-out needs of a browser session. Every method is called on the subscriber's own event loop, the
 * loop of the {@link FanoutShard} it belongs to.
 */
public interface Subscriber {

    /** True when this session's own ignore list covers {@code topic}. */
    boolean ignores(String topic);

    /**
     * Queues one topic message for the next flush: a {@code String} line (text) or a {@code Buffer} (binary
     * frame). The same object is handed to every subscriber; it must not be modified.
     */
    void append(Object message);

    /** Writes what was appended since the last flush, as few frames as possible. */
    void flush();
}
