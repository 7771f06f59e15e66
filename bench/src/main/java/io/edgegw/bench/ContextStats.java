package io.edgegw.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the clients of one event loop measured. Confined to that loop: the main thread reads it only through a task
 * run on the loop ({@link ClientGroup#snapshot}).
 */
final class ContextStats {

    /** Publish-to-receive latency in microseconds, of messages received inside the window. */
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(300), 3);
    final List<ClientLink> links = new ArrayList<>();
    long windowMessages;
    long windowFrames;
    long windowBytes;

    /** Sums this loop's counters into {@code into} and starts a new window's histogram. */
    void drainInto(Snapshot into, long[] heads) {
        into.latency.add(latency);
        latency.reset();
        into.windowMessages += windowMessages;
        into.windowFrames += windowFrames;
        into.windowBytes += windowBytes;
        windowMessages = 0;
        windowFrames = 0;
        windowBytes = 0;
        for (ClientLink link : links) {
            link.addTo(into, heads);
        }
    }

    /** The sum over all loops at one moment. */
    static final class Snapshot {
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(300), 3);
        long windowMessages;
        long windowFrames;
        long windowBytes;
        long received;
        long duplicates;
        /** Messages missing between two received ones (the sequence jumped): lost for good. */
        long lost;
        /** Messages published but not received by the end of the drain: still queued somewhere, or lost. */
        long undelivered;
        long gapLines;
        long errors;
        long other;
        long open;
        long closed;
        /** Per subscribed client: nanoseconds from the cut to the first message published after it (-1: none). */
        final List<Long> afterCut = new ArrayList<>();
    }
}
