package io.edgegw.upstream;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The highest contiguous {@code (epoch, offset)} the gateway accepted per topic: what makes delivery at most once
 * per topic across moves and replays, and what a {@code sub} after a move asks the node to continue from.
 * Confined to the upstream loop.
 */
final class TopicCursors {

    record Cursor(String epoch, long offset) {
    }

    private final Map<String, Cursor> cursors = new HashMap<>();

    /** True when the message is new: then it becomes the topic's cursor. False for a repeat at or below it. */
    boolean accept(String topic, String epoch, long offset) {
        Cursor cursor = cursors.get(topic);
        if (cursor != null && cursor.epoch.equals(epoch) && offset <= cursor.offset) {
            return false;
        }
        cursors.put(topic, new Cursor(epoch, offset));
        return true;
    }

    Cursor get(String topic) {
        return cursors.get(topic);
    }

    void set(String topic, String epoch, long offset) {
        cursors.put(topic, new Cursor(epoch, offset));
    }

    void forget(String topic) {
        cursors.remove(topic);
    }

    void forgetIf(Predicate<String> topic) {
        cursors.keySet().removeIf(topic);
    }
}
