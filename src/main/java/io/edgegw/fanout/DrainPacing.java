package io.edgegw.fanout;

import java.time.Duration;

/**
 * How long an event loop waits after draining its fan-out queue before it drains again: nothing after a short
 * drain, {@code factor} times the drain's duration after a long one. A loop that is busy fanning out thus spends
 * about {@code 1 / (1 + factor)} of its time on it and sends what arrived meanwhile as one larger frame per
 * browser, instead of chasing every new message with another write to every socket.
 * <p>
 * The pause is capped, and the cap adapts: while the loop keeps up (each drain takes all that is queued) it is
 * {@code keepingUpMaxPauseNanos}, which bounds the latency pacing adds at moderate load; once drains stop at their
 * bound with more queued (the loop is falling behind) it doubles per such drain up to {@code maxPauseNanos}, so an
 * overloaded gateway batches hard and leaves CPU to the sockets' readers instead of collapsing; it halves back per
 * drain that catches up.
 */
public record DrainPacing(double factor, long thresholdNanos, long keepingUpMaxPauseNanos, long maxPauseNanos) {

    public static final DrainPacing OFF = new DrainPacing(0, Long.MAX_VALUE, 0, 0);

    public DrainPacing {
        if (factor < 0 || Double.isNaN(factor)) {
            throw new IllegalArgumentException("gateway.fanout.pacing must be 0 or more: " + factor);
        }
        // a keeping-up cap above the overload cap would make falling behind shorten the pauses
        keepingUpMaxPauseNanos = Math.min(keepingUpMaxPauseNanos, maxPauseNanos);
    }

    public static DrainPacing of(double factor, Duration threshold, Duration keepingUpMaxPause, Duration maxPause) {
        if (factor < 0 || Double.isNaN(factor)) { // before the shortcut: a pacing-max of 0 must not hide it
            throw new IllegalArgumentException("gateway.fanout.pacing must be 0 or more: " + factor);
        }
        return factor == 0 || maxPause.isZero() ? OFF
                : new DrainPacing(factor, threshold.toNanos(), keepingUpMaxPause.toNanos(), maxPause.toNanos());
    }

    /** The cap a shard starts with, and returns to while it keeps up. */
    public long initialCapNanos() {
        return keepingUpMaxPauseNanos;
    }

    /**
     * The cap after a drain: doubled (at most {@code maxPauseNanos}) when the drain stopped at its bound with more
     * queued, halved (at least {@code keepingUpMaxPauseNanos}) when it took everything. Doubling reaches the
     * overload cap within a few drains; halving keeps one burst from dropping it at once.
     */
    public long nextCap(long capNanos, boolean fallingBehind) {
        if (fallingBehind) {
            // a keeping-up cap of 0 (no pauses while keeping up) grows from the threshold, not from 1 ns
            long from = Math.max(1, Math.max(capNanos, Math.min(thresholdNanos, maxPauseNanos)));
            return from >= maxPauseNanos / 2 ? maxPauseNanos : from * 2;
        }
        return Math.max(keepingUpMaxPauseNanos, capNanos / 2);
    }

    /**
     * The pause after a drain that took {@code drainNanos} to hand {@code deliveries} messages to subscribers in
     * {@code frames} frames; at most {@code capNanos}: without a cap, larger batches make longer drains and longer
     * pauses, until frames grow so large that browsers struggle with them.
     * <p>
     * No pause unless batches are already forming (on average at least {@value #MIN_BATCH} messages a frame): when
     * every subscriber got a single message (many topics, few subscribers each), a pause would not make any frame
     * larger, only leave the loop idle while messages wait.
     */
    public long pauseAfter(long drainNanos, long deliveries, int frames, long capNanos) {
        if (drainNanos <= thresholdNanos || deliveries < MIN_BATCH * frames) {
            return 0;
        }
        return Math.min(capNanos, (long) (drainNanos * factor));
    }

    /** Messages per frame, on average over a drain, from which pausing pays. */
    static final double MIN_BATCH = 1.5;
}
