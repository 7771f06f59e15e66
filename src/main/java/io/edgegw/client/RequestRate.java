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
    /** Recent refusals, decaying at the allowed rate: a client that keeps flooding piles them up. */
    private double strikes;

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
        double earned = (now - lastRefillNanos) * ratePerNano;
        lastRefillNanos = now;
        tokens = Math.min(burst, tokens + earned);
        strikes = Math.max(0, strikes - earned);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        strikes += 1;
        return false;
    }

    /** When the last request came ({@code nanoClock} time), or the bucket was made if none has. */
    long lastRequestNanos() {
        return lastRefillNanos;
    }

    /**
     * Refusals not yet worked off at the allowed rate. A client that slows down when refused keeps this low; one
     * that keeps flooding drives it up, whatever the odd request that slips through as the bucket refills.
     */
    double strikes() {
        return strikes;
    }
}
