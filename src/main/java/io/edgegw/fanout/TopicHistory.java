package io.edgegw.fanout;

import java.util.ArrayList;
import java.util.List;

/**
 * The last messages of one topic, bounded in count and age: what lets the gateway serve a {@code since} request
 * without asking a node. Holds only a contiguous run of offsets of one epoch; a hole (a {@code gap}) or a new
 * epoch starts it afresh. Confined to the upstream loop.
 */
public final class TopicHistory {

    private final TopicDelivery[] ring;
    private final long[] storedAtMs;
    private final long maxAgeMs;
    private String epoch;
    private int start;
    private int size;

    public TopicHistory(int capacity, long maxAgeMs) {
        this.ring = new TopicDelivery[Math.max(1, capacity)];
        this.storedAtMs = new long[ring.length];
        this.maxAgeMs = maxAgeMs;
    }

    /** Records an accepted message; a message that does not continue the run restarts the history. */
    public void append(TopicDelivery delivery, long nowMs) {
        if (size > 0 && (!delivery.epoch().equals(epoch) || delivery.offset() != newestOffset() + 1)) {
            clear();
        }
        epoch = delivery.epoch();
        int slot = (start + size) % ring.length;
        ring[slot] = delivery;
        storedAtMs[slot] = nowMs;
        if (size < ring.length) {
            size++;
        } else {
            start = (start + 1) % ring.length;
        }
    }

    public void clear() {
        for (int i = 0; i < ring.length; i++) {
            ring[i] = null;
        }
        start = 0;
        size = 0;
    }

    /**
     * The messages after {@code offset} of {@code epoch}, oldest first, when the history holds all of them up to
     * its newest; null when it cannot cover that range (another epoch, or older than what it kept).
     */
    public List<TopicDelivery> after(String epoch, long offset, long nowMs) {
        dropExpired(nowMs);
        if (size == 0 || !epoch.equals(this.epoch)) {
            return null;
        }
        long oldest = ring[start].offset();
        if (offset + 1 < oldest || offset > newestOffset()) {
            return null;
        }
        List<TopicDelivery> result = new ArrayList<>((int) (newestOffset() - offset));
        for (int i = (int) (offset + 1 - oldest); i < size; i++) {
            result.add(ring[(start + i) % ring.length]);
        }
        return result;
    }

    public int size() {
        return size;
    }

    private long newestOffset() {
        return ring[(start + size - 1) % ring.length].offset();
    }

    private void dropExpired(long nowMs) {
        while (size > 0 && nowMs - storedAtMs[start] > maxAgeMs) {
            ring[start] = null;
            start = (start + 1) % ring.length;
            size--;
        }
    }
}
