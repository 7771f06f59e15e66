package io.edgegw.demo;

import io.edgegw.fanout.TopicPattern;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The cluster's one log per topic: what makes every node give a message the same (epoch, offset).
 * <p>
 * Offsets start at 1 per topic and grow by one; the epoch is drawn when the topic is created and changes only when
 * the cluster "loses" the topic's history ({@link #resetEpoch}). Each topic keeps its last {@code historySize}
 * entries for replays. Thread-safe: every method is synchronized on the log (test and demo infrastructure).
 */
public final class SharedLog {

    /** One message of a topic; exactly one of {@code dataJson} (one line of JSON) and {@code binaryPayload} is set. */
    public record Entry(String topic, String epoch, long offset, String dataJson, byte[] binaryPayload) {
        public Entry {
            if ((dataJson == null) == (binaryPayload == null)) {
                throw new IllegalArgumentException("exactly one of dataJson and binaryPayload must be set");
            }
        }

        public boolean isBinary() {
            return binaryPayload != null;
        }
    }

    /**
     * What a subscriber needs, read atomically: the topic's epoch and head, and the entries after the position it
     * asked for ({@code missed}: empty when it asked for none, null when the history cannot cover them).
     */
    public record CatchUp(String epoch, long head, List<Entry> missed) {
        public boolean recovered() {
            return missed != null;
        }
    }

    private static final String EPOCH_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

    private final int historySize;
    private final Map<String, TopicLog> topics = new HashMap<>();
    private final Random random = new SecureRandom();

    public SharedLog(int historySize) {
        if (historySize < 0) {
            throw new IllegalArgumentException("historySize must be >= 0");
        }
        this.historySize = historySize;
    }

    /** Appends a JSON message; {@code dataJson} must be valid JSON (re-encoded on one line when it spans several). */
    public synchronized Entry append(String topic, String dataJson) {
        return add(topic, NodeFrames.singleLineJson(dataJson), null);
    }

    /** Appends a binary message; the payload is kept as given, not copied. */
    public synchronized Entry appendBinary(String topic, byte[] payload) {
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null");
        }
        return add(topic, null, payload);
    }

    /** The topic's current epoch; creates the topic (offset 0) when it does not exist yet. */
    public synchronized String epoch(String topic) {
        return topic(topic).epoch;
    }

    /** The topic's last offset, 0 when it has none. */
    public synchronized long head(String topic) {
        return topic(topic).head;
    }

    /**
     * The entries with an offset above {@code offset} in that epoch, in order; null when the log cannot cover them
     * (another epoch, or the history no longer holds {@code offset + 1}).
     */
    public synchronized List<Entry> after(String topic, String epoch, long offset) {
        TopicLog log = topic(topic);
        if (!log.epoch.equals(epoch) || offset < 0) {
            return null;
        }
        if (offset >= log.head) {
            return List.of();
        }
        Entry oldest = log.history.peekFirst();
        if (oldest == null || oldest.offset() > offset + 1) {
            return null;
        }
        return log.history.stream().filter(entry -> entry.offset() > offset).toList();
    }

    /** The head and, when {@code sinceEpoch} is not null, what came after {@code sinceOffset}, read at one instant. */
    public synchronized CatchUp catchUp(String topic, String sinceEpoch, long sinceOffset) {
        TopicLog log = topic(topic);
        List<Entry> missed = sinceEpoch == null ? List.of() : after(topic, sinceEpoch, sinceOffset);
        return new CatchUp(log.epoch, log.head, missed);
    }

    /** Simulates the cluster losing the topic's history: a new epoch, offsets restart at 1, history cleared. */
    public synchronized void resetEpoch(String topic) {
        TopicLog log = topic(topic);
        String old = log.epoch;
        do {
            log.epoch = newEpoch();
        } while (log.epoch.equals(old));
        log.head = 0;
        log.history.clear();
    }

    /** Test hook: forgets all but the last {@code keepLast} entries, so that the history becomes "too short". */
    public synchronized void trimHistory(String topic, int keepLast) {
        TopicLog log = topic(topic);
        while (log.history.size() > Math.max(0, keepLast)) {
            log.history.removeFirst();
        }
    }

    private Entry add(String topic, String dataJson, byte[] payload) {
        if (!TopicPattern.isValidTopic(topic)) {
            throw new IllegalArgumentException("invalid topic: " + topic);
        }
        TopicLog log = topic(topic);
        Entry entry = new Entry(topic, log.epoch, ++log.head, dataJson, payload);
        log.history.addLast(entry);
        while (log.history.size() > historySize) {
            log.history.removeFirst();
        }
        return entry;
    }

    private TopicLog topic(String topic) {
        return topics.computeIfAbsent(topic, name -> new TopicLog(newEpoch()));
    }

    private String newEpoch() {
        StringBuilder epoch = new StringBuilder("e");
        for (int i = 0; i < 6; i++) {
            epoch.append(EPOCH_ALPHABET.charAt(random.nextInt(EPOCH_ALPHABET.length())));
        }
        return epoch.toString();
    }

    /** One topic's state; guarded by the enclosing log's monitor. */
    private static final class TopicLog {
        private String epoch;
        private long head;
        private final ArrayDeque<Entry> history = new ArrayDeque<>();

        private TopicLog(String epoch) {
            this.epoch = epoch;
        }
    }
}
