package io.edgegw.upstream;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The highest contiguous {@code (epoch, offset)} the gateway accepted per topic: what makes delivery at most once
 * per topic across moves and replays, and what a {@code sub} after a move asks the node to continue from.
 * Confined to the upstream loop.
 *
 * <p>The cursors of exact subscriptions are kept as long as they are (a cursor is its topic's {@code since}); those
 * of topics seen only through a pattern, which come and go (a {@code chat/**} over ever-new rooms), are bounded:
 * past {@code capacity} the least recently seen is forgotten, and it only loses the {@code gap} its subscribers would
 * get for what a move made them miss.
 */
final class TopicCursors {

    record Cursor(String epoch, long offset) {
    }

    private final Map<String, Cursor> exact = new HashMap<>();
    private final LinkedHashMap<String, Cursor> throughPatterns;

    TopicCursors(int capacity) {
        this.throughPatterns = new LinkedHashMap<>(16, 0.75f, true) { // access order: the eldest is the least recent
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cursor> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * True when the message is new: then it becomes the topic's cursor, kept as an exact subscription's when
     * {@code exactly}. False for a repeat at or below it.
     */
    boolean accept(String topic, String epoch, long offset, boolean exactly) {
        Cursor cursor = get(topic);
        if (cursor != null && cursor.epoch.equals(epoch) && offset <= cursor.offset) {
            return false;
        }
        set(topic, epoch, offset, exactly);
        return true;
    }

    Cursor get(String topic) {
        Cursor cursor = exact.get(topic);
        return cursor != null ? cursor : throughPatterns.get(topic);
    }

    void set(String topic, String epoch, long offset, boolean exactly) {
        Cursor cursor = new Cursor(epoch, offset);
        if (exactly) {
            if (exact.put(topic, cursor) == null) {
                throughPatterns.remove(topic);
            }
        } else if (throughPatterns.put(topic, cursor) == null) {
            exact.remove(topic);
        }
    }

    void forget(String topic) {
        exact.remove(topic);
        throughPatterns.remove(topic);
    }

    void forgetIf(Predicate<String> topic) {
        exact.keySet().removeIf(topic);
        throughPatterns.keySet().removeIf(topic);
    }

    int size() {
        return exact.size() + throughPatterns.size();
    }
}
