package io.edgegw.fanout;

import java.time.Duration;

/**
 * How long an event loop waits after draining its fan-out queue before it drains again: nothing after a short
 * drain, {@code factor} times the drain's duration after a long one. A loop that is busy fanning out thus spends
 * about {@code 1 / (1 + factor)} of its time on it and sends what arrived meanwhile as one larger frame per
 * browser, instead of chasing every new message with another write to every socket.
 */
public record DrainPacing(double factor, long thresholdNanos, long maxPauseNanos) {

    public static final DrainPacing OFF = new DrainPacing(0, Long.MAX_VALUE, 0);

    public DrainPacing {
        if (factor < 0 || Double.isNaN(factor)) {
            throw new IllegalArgumentException("gateway.fanout.pacing must be 0 or more: " + factor);
        }
    }

    public static DrainPacing of(double factor, Duration threshold, Duration maxPause) {
        return factor == 0 || maxPause.isZero() ? OFF
                : new DrainPacing(factor, threshold.toNanos(), maxPause.toNanos());
    }

    /**
     * The pause after a drain that took {@code drainNanos} to hand {@code deliveries} messages to subscribers in
     * {@code frames} frames; at most {@code maxPauseNanos}: without a cap, larger batches make longer drains and
     * longer pauses, until frames grow so large that browsers struggle with them.
     * <p>
     * No pause unless batches are already forming (on average at least {@value #MIN_BATCH} messages a frame): when
     * every subscriber got a single message (many topics, few subscribers each), a pause would not make any frame
     * larger, only leave the loop idle while messages wait.
     */
    public long pauseAfter(long drainNanos, long deliveries, int frames) {
        if (drainNanos <= thresholdNanos || deliveries < MIN_BATCH * frames) {
            return 0;
        }
        return Math.min(maxPauseNanos, (long) (drainNanos * factor));
    }

    /** Messages per frame, on average over a drain, from which pausing pays. */
    static final double MIN_BATCH = 1.5;
}
