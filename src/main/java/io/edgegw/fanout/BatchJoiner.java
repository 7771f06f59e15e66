package io.edgegw.fanout;

import java.util.List;

/**
 * Joins a run of text lines into one newline-separated frame, remembering the last run it joined: subscribers of a
 * shard that got the very same lines in one drain (the common case, many browsers on one topic) share one frame
 * instead of each building its own. Lines are compared by identity, which is exact here because every subscriber
 * is handed the same line objects. Confined to the shard's loop.
 */
public final class BatchJoiner {

    private Object[] lastRun = new Object[0];
    private int lastLength;
    private String lastFrame;
    private final StringBuilder builder = new StringBuilder();

    /** The frame for {@code parts[from, to)}, all of them {@code String}s. */
    public String join(List<Object> parts, int from, int to) {
        int length = to - from;
        if (length == 1) {
            return (String) parts.get(from);
        }
        if (length == lastLength && sameRun(parts, from)) {
            return lastFrame;
        }
        builder.setLength(0);
        for (int i = from; i < to; i++) {
            if (i > from) {
                builder.append('\n');
            }
            builder.append((String) parts.get(i));
        }
        if (lastRun.length < length) {
            lastRun = new Object[Math.max(length, lastRun.length * 2)];
        }
        for (int i = 0; i < length; i++) {
            lastRun[i] = parts.get(from + i);
        }
        lastLength = length;
        lastFrame = builder.toString();
        return lastFrame;
    }

    private boolean sameRun(List<Object> parts, int from) {
        for (int i = 0; i < lastLength; i++) {
            if (lastRun[i] != parts.get(from + i)) {
                return false;
            }
        }
        return true;
    }
}
