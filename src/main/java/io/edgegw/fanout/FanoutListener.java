package io.edgegw.fanout;

import java.util.List;

/** What the fan-out reports, for metrics; called on the shard's loop once per drain, never per subscriber. */
public interface FanoutListener {

    /**
     * {@code deliveries} topic messages were handed to browsers (gaps not counted) from {@code messages}, what was
     * drained (gaps included), all flushed now.
     */
    void delivered(long deliveries, List<TopicDelivery> messages);

    /** Messages a session's own ignore list held back. */
    void ignoredBySession(long count);

    /** Topic messages an overloaded loop dropped from its queue (their subscribers got a {@code gap}). */
    void shed(long count);
}
