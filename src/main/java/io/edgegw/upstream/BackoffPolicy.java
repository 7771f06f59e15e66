package io.edgegw.upstream;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long to wait before reconnect attempt {@code n}: exponential growth up to a cap, spread by random jitter so
 * that many gateways losing the same node do not reconnect in step. A pure function of (attempt, random, previous
 * delay), so it can be tested exactly with a seeded random.
 * <ul>
 * <li>{@code full}: uniform in [0, min(max, initial·multiplier^attempt)] — the widest spread, the default.</li>
 * <li>{@code equal}: half the capped delay plus a uniform part of the other half — never near zero.</li>
 * <li>{@code decorrelated}: uniform in [initial, min(max, previous·3)] — grows from the last delay, not the attempt.</li>
 * </ul>
 */
public record BackoffPolicy(Duration initial, Duration max, double multiplier, Jitter jitter) {

    public enum Jitter {
        FULL, EQUAL, DECORRELATED
    }

    /** The capped exponential delay of {@code attempt} (0-based), before jitter, in milliseconds. */
    public long ceilingMillis(int attempt) {
        double raw = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt));
        return (long) Math.min(max.toMillis(), raw);
    }

    /**
     * The delay before attempt {@code attempt} (0-based).
     *
     * @param random uniform doubles in [0, 1)
     * @param previousMillis the delay chosen last time (used by {@code decorrelated}; 0 before the first)
     */
    public long delayMillis(int attempt, DoubleSupplier random, long previousMillis) {
        long ceiling = ceilingMillis(attempt);
        return switch (jitter) {
            case FULL -> (long) (random.getAsDouble() * (ceiling + 1));
            case EQUAL -> ceiling / 2 + (long) (random.getAsDouble() * (ceiling - ceiling / 2 + 1));
            case DECORRELATED -> {
                long low = initial.toMillis();
                long high = Math.min(max.toMillis(), Math.max(low, previousMillis * 3));
                yield low + (long) (random.getAsDouble() * (high - low + 1));
            }
        };
    }
}
