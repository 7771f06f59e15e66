package io.edgegw.upstream;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.edgegw.fanout.TopicDelivery;
import io.edgegw.fanout.TopicSink;

/** What {@link UpstreamTopics} handed to the fan-out: each message's offset, and each control frame (a gap) as text. */
final class RecordingSink implements TopicSink {

    final List<Object> seen = new CopyOnWriteArrayList<>();
    /** When set, only this topic's messages and frames are recorded (a test that floods other topics). */
    volatile String onlyTopic;

    @Override
    public boolean publish(TopicDelivery delivery) {
        if (onlyTopic == null || onlyTopic.equals(delivery.topic())) {
            seen.add(delivery.offset());
        }
        return true;
    }

    @Override
    public void publishControl(TopicDelivery control) {
        if (onlyTopic == null || onlyTopic.equals(control.topic())) {
            seen.add(String.valueOf(control.payload()));
        }
    }

    /** Positions noted, as {@code topic@epoch:offset}, apart from what subscribers are sent. */
    final List<String> positions = new CopyOnWriteArrayList<>();

    @Override
    public void publishPosition(String topic, String epoch, long offset) {
        positions.add(topic + "@" + epoch + ":" + offset);
    }
}
