package io.edgegw.upstream;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The highest contiguous {@code (epoch, offset)} the gateway accepted per topic: what makes delivery at most once
 * per topic across moves and replays, and what a {@code sub} after a move asks the node to continue from.
 * Confined to the upstream loop.
 *
 * <p>Bounded: past {@code capacity} topics the least recently seen one that is not {@code pinned} (an exact
 * subscription, whose cursor is its {@code since}) is forgotten. Topics seen through a pattern come and go (a
 * {@code chat/**} over ever-new rooms) and would otherwise pile up for the life of the process; a forgotten one only
 * loses the {@code gap} its subscribers would get for what a move made them miss.
 */
final class TopicCursors {

    record Cursor(String epoch, long offset) {
    }

    private final int capacity;
    private final Predicate<String> pinned;
    /** In access order: the eldest entry is the least recently seen topic. */
    private final LinkedHashMap<String, Cursor> cursors = new LinkedHashMap<>(16, 0.75f, true);

    TopicCursors(int capacity, Predicate<String> pinned) {
        this.capacity = capacity;
        this.pinned = pinned;
    }

    /** True when the message is new: then it becomes the topic's cursor. False for a repeat at or below it. */
    boolean accept(String topic, String epoch, long offset) {
        Cursor cursor = cursors.get(topic);
        if (cursor != null && cursor.epoch.equals(epoch) && offset <= cursor.offset) {
            return false;
        }
        set(topic, epoch, offset);
        return true;
    }

    Cursor get(String topic) {
        return cursors.get(topic);
    }

    void set(String topic, String epoch, long offset) {
        if (cursors.put(topic, new Cursor(epoch, offset)) == null && cursors.size() > capacity) {
            forgetLeastRecentUnpinned();
        }
    }

    void forget(String topic) {
        cursors.remove(topic);
    }

    void forgetIf(Predicate<String> topic) {
        cursors.keySet().removeIf(topic);
    }

    int size() {
        return cursors.size();
    }

    private void forgetLeastRecentUnpinned() {
        List<String> passed = new ArrayList<>();
        for (Iterator<Map.Entry<String, Cursor>> it = cursors.entrySet().iterator(); it.hasNext();) {
            String topic = it.next().getKey();
            if (!pinned.test(topic)) {
                it.remove();
                break;
            }
            passed.add(topic);
        }
        passed.forEach(cursors::get); // to the recent end: the next eviction does not walk past them again
    }
}
