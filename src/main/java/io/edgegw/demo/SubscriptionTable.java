package io.edgegw.demo;

import io.edgegw.fanout.TopicPattern;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The topics and patterns one gateway connection subscribed to. For each exact topic it keeps the last position
 * written on the connection (by the replay or live), so that a live message the replay already carried is not sent
 * twice. Confined to the connection's context.
 */
final class SubscriptionTable {

    private record Position(String epoch, long offset) {
    }

    private final Map<String, Position> exact = new HashMap<>();
    private final Map<String, TopicPattern> patterns = new LinkedHashMap<>();

    /** Subscribes to an exact topic; everything up to {@code offset} of {@code epoch} counts as already written. */
    void subscribe(String topic, String epoch, long offset) {
        exact.put(topic, new Position(epoch, offset));
    }

    void subscribe(TopicPattern pattern) {
        patterns.put(pattern.text(), pattern);
    }

    void unsubscribe(String topicOrPattern) {
        exact.remove(topicOrPattern);
        patterns.remove(topicOrPattern);
    }

    boolean isEmpty() {
        return exact.isEmpty() && patterns.isEmpty();
    }

    /**
     * Whether the entry goes out on this connection (once, however many subscriptions match), and if so records it.
     * An exact subscription decides alone: what it skips was written by its replay, so a pattern must not add it.
     */
    boolean admit(SharedLog.Entry entry) {
        Position written = exact.get(entry.topic());
        if (written != null) {
            if (written.epoch().equals(entry.epoch()) && entry.offset() <= written.offset()) {
                return false;
            }
            exact.put(entry.topic(), new Position(entry.epoch(), entry.offset()));
            return true;
        }
        for (TopicPattern pattern : patterns.values()) {
            if (pattern.matches(entry.topic())) {
                return true;
            }
        }
        return false;
    }
}
