package io.edgegw.client;

import java.util.function.LongSupplier;

/**
 * A token bucket per session: {@code ratePerSecond} requests a second on average, bursts up to {@code burst}.
 * Confined to the session's loop. The clock is injected so that tests can drive it.
 */
final class RequestRate {

    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long lastRefillNanos;
    private int refusedInARow;

    RequestRate(int ratePerSecond, int burst, LongSupplier nanoClock) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.lastRefillNanos = nanoClock.getAsLong();
    }

    /** Takes a token for one request; false when the session is over its rate. */
    boolean tryAcquire() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - lastRefillNanos) * ratePerNano);
        lastRefillNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            refusedInARow = 0;
            return true;
        }
        refusedInARow++;
        return false;
    }

    /** Requests refused since the last one accepted: a client that keeps flooding is abusive. */
    int refusedInARow() {
        return refusedInARow;
    }
}
