package io.edgegw.upstream;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long to wait before reconnect attempt {@code n} (0-based: the wait after the first failure is attempt 0):
 * exponential growth up to a cap, spread by random jitter so that many gateways losing the same node do not
 * reconnect in step. A pure function of (attempt, random, previous delay), so it can be tested exactly with a
 * seeded random. With {@code ceiling(n) = min(max, initial·multiplier^n)}:
 * <ul>
 * <li>{@code full} (the default): uniform in [0, ceiling(n)], mean ceiling(n)/2. The widest spread, hence the
 * lowest peak when thousands of gateways lose the same node at the same instant, and the least total work for the
 * nodes that remain (the result of AWS's "Exponential Backoff And Jitter" study); the price is that a single
 * gateway sometimes retries almost at once, which is harmless because the next node is a different one.</li>
 * <li>{@code equal}: ceiling(n)/2 plus uniform in [0, ceiling(n)/2], mean 3/4·ceiling(n); never near zero.</li>
 * <li>{@code decorrelated}: uniform in [initial, min(max, 3·previous)], with previous = initial on attempt 0;
 * grows from the last delay rather than from the attempt number, so {@code multiplier} does not apply.</li>
 * </ul>
 */
public record BackoffPolicy(Duration initial, Duration max, double multiplier, Jitter jitter) {

    public enum Jitter {
        FULL, EQUAL, DECORRELATED;

        /** The kind {@code gateway.upstream.backoff.jitter} names, in any case; refused with the key named. */
        public static Jitter named(String name) {
            for (Jitter kind : values()) {
                if (kind.name().equalsIgnoreCase(name.trim())) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("gateway.upstream.backoff.jitter must be full, equal or decorrelated: "
                    + name);
        }
    }

    public BackoffPolicy {
        if (initial.toMillis() < 1 || max.compareTo(initial) < 0 || !(multiplier >= 1.0) || jitter == null) {
            throw new IllegalArgumentException("gateway.upstream.backoff: need initial >= 1ms, max >= initial, "
                    + "multiplier >= 1 and a jitter kind; got " + initial + ", " + max + ", " + multiplier + ", "
                    + jitter);
        }
    }

    /** The capped exponential delay of {@code attempt} (0-based), before jitter, in milliseconds. */
    public long ceilingMillis(int attempt) {
        double raw = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt));
        return (long) Math.min(max.toMillis(), raw); // an overflow to infinity is capped too
    }

    /** The smallest delay attempt {@code attempt} can get. */
    public long lowestMillis(int attempt) {
        return switch (jitter) {
            case FULL -> 0;
            case EQUAL -> ceilingMillis(attempt) / 2;
            case DECORRELATED -> initial.toMillis();
        };
    }

    /**
     * The delay before attempt {@code attempt} (0-based).
     *
     * @param random uniform doubles in [0, 1)
     * @param previousMillis the delay chosen last time (used by {@code decorrelated} from attempt 1 on)
     */
    public long delayMillis(int attempt, DoubleSupplier random, long previousMillis) {
        long ceiling = ceilingMillis(attempt);
        return switch (jitter) {
            case FULL -> uniform(0, ceiling, random);
            case EQUAL -> uniform(ceiling / 2, ceiling, random);
            case DECORRELATED -> {
                long low = initial.toMillis();
                long previous = attempt <= 0 ? low : Math.max(low, previousMillis);
                long high = Math.min(max.toMillis(), previous * 3);
                yield uniform(low, Math.max(low, high), random);
            }
        };
    }

    /** Uniform integer in [low, high], both included. */
    private static long uniform(long low, long high, DoubleSupplier random) {
        long value = low + (long) (random.getAsDouble() * (high - low + 1));
        return Math.min(high, value); // a supplier that returns 1.0 must not step outside
    }
}
