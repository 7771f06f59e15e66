package io.edgegw.fanout;

/** Where upstream hands what the cluster publishes: {@link Fanout}, which spreads it over the event loops. */
public interface TopicSink {

    /** A topic message from upstream, on the upstream loop; false when the global ignore list held it back. */
    boolean publish(TopicDelivery delivery);

    /** A frame about a topic that its subscribers must see, such as a {@code gap}; its epoch is null. */
    void publishControl(TopicDelivery control);

    /**
     * This gateway's position in an exact topic, its highest contiguous offset, at this point of the stream (every
     * message up to it was handed on before): a subscriber that has had no message of the topic since it joined
     * resumes from there, and without it would miss what is published while its link is down.
     */
    void publishPosition(String topic, String epoch, long offset);
}
