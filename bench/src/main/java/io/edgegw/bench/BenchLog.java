package io.edgegw.bench;

import java.util.HashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * The bench cluster's shared log: one epoch and the last {@code history} message lines per topic, so that a node
 * that takes over a topic after a failover replays what followed the gateway's {@code since}. Offsets are the
 * publisher's sequence numbers. Confined to the upstream side's single event loop.
 */
final class BenchLog {

    final String epoch = "e" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    private final int history;
    private final String[][] lines;
    private final long[] heads;
    private final Map<String, Integer> index = new HashMap<>();

    BenchLog(int topics, int history) {
        this.history = history;
        this.lines = new String[topics][];
        this.heads = new long[topics];
        for (int i = 0; i < topics; i++) {
            index.put(Target.topicName(i), i);
        }
    }

    /** The topic's index, or -1 for a topic the benchmark does not publish. */
    int topic(String name) {
        Integer i = index.get(name);
        return i == null ? -1 : i;
    }

    long head(int topic) {
        return heads[topic];
    }

    void append(int topic, long offset, String line) {
        heads[topic] = offset;
        if (history > 0) {
            String[] ring = lines[topic];
            if (ring == null) {
                ring = lines[topic] = new String[history];
            }
            ring[(int) (offset % history)] = line;
        }
    }

    /** The lines after {@code offset}, or null when the history no longer holds them all. */
    List<String> after(int topic, long offset) {
        long head = heads[topic];
        if (offset >= head) {
            return List.of();
        }
        if (head - offset > history) {
            return null;
        }
        List<String> missed = new ArrayList<>((int) (head - offset));
        for (long o = offset + 1; o <= head; o++) {
            missed.add(lines[topic][(int) (o % history)]);
        }
        return missed;
    }
}
