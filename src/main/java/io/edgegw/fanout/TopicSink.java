package io.edgegw.fanout;

/** Where upstream hands what the cluster publishes: {@link Fanout}, which spreads it over the event loops. */
public interface TopicSink {

    /** A topic message from upstream, on the upstream loop; false when the global ignore list held it back. */
    boolean publish(TopicDelivery delivery);

    /** A frame about a topic that its subscribers must see, such as a {@code gap}; its epoch is null. */
    void publishControl(TopicDelivery control);
}
