package io.edgegw.bench;

/**
 * The measurement window of the current step, in {@link System#nanoTime()}: what clients receive inside it counts
 * towards deliveries per second and latency. Written by the main thread, read by the clients' event loops per frame.
 */
final class Window {
    volatile long start = Long.MAX_VALUE;
    volatile long end = Long.MIN_VALUE;
    /** When the failover scenario cut the active node; 0 = no cut. */
    volatile long cut;

    void set(long start, long end) {
        this.start = start;
        this.end = end;
    }
}
