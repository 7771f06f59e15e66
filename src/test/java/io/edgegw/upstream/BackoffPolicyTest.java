package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.edgegw.upstream.BackoffPolicy.Jitter;

/** The backoff policy as a pure function, checked exactly with seeded randoms. */
class BackoffPolicyTest {

    private static final int SAMPLES = 100_000;

    private static BackoffPolicy defaults(Jitter jitter) {
        return new BackoffPolicy(Duration.ofMillis(250), Duration.ofSeconds(30), 2.0, jitter);
    }

    @Test
    void ceilingGrowsByTheMultiplierUpToTheCap() {
        BackoffPolicy policy = defaults(Jitter.FULL);
        assertThat(policy.ceilingMillis(0)).isEqualTo(250);
        assertThat(policy.ceilingMillis(1)).isEqualTo(500);
        assertThat(policy.ceilingMillis(6)).isEqualTo(16_000);
        assertThat(policy.ceilingMillis(7)).isEqualTo(30_000);
        assertThat(policy.ceilingMillis(10_000)).isEqualTo(30_000); // no overflow
        assertThat(policy.ceilingMillis(-3)).isEqualTo(250);
    }

    @ParameterizedTest
    @EnumSource(Jitter.class)
    void everyDelayIsWithinItsAttemptsBounds(Jitter jitter) {
        BackoffPolicy policy = defaults(jitter);
        Random random = new Random(42);
        for (int run = 0; run < 2_000; run++) {
            long previous = 0;
            for (int attempt = 0; attempt < 12; attempt++) {
                long delay = policy.delayMillis(attempt, random::nextDouble, previous);
                long low = policy.lowestMillis(attempt);
                long high = jitter == Jitter.DECORRELATED
                        ? Math.min(30_000, 3 * (attempt == 0 ? 250 : Math.max(250, previous)))
                        : policy.ceilingMillis(attempt);
                assertThat(delay).as("%s attempt %d after %d", jitter, attempt, previous).isBetween(low, high);
                previous = delay;
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Jitter.class)
    void extremesOfTheRandomMapToTheBoundsExactly(Jitter jitter) {
        BackoffPolicy policy = defaults(jitter);
        DoubleSupplier lowest = () -> 0.0;
        DoubleSupplier highest = () -> Math.nextDown(1.0);
        DoubleSupplier beyond = () -> 1.0; // a broken supplier still cannot step outside
        int attempt = 3; // ceiling 2000
        long previous = 400;
        long expectedHigh = jitter == Jitter.DECORRELATED ? 1200 : 2000;
        assertThat(policy.delayMillis(attempt, lowest, previous)).isEqualTo(policy.lowestMillis(attempt));
        assertThat(policy.delayMillis(attempt, highest, previous)).isEqualTo(expectedHigh);
        assertThat(policy.delayMillis(attempt, beyond, previous)).isEqualTo(expectedHigh);
    }

    @Test
    void fullJitterIsUniformBetweenZeroAndTheCeiling() {
        BackoffPolicy policy = defaults(Jitter.FULL);
        Random random = new Random(7);
        int attempt = 3; // ceiling 2000 ms
        long[] buckets = new long[10];
        double sum = 0;
        for (int i = 0; i < SAMPLES; i++) {
            long delay = policy.delayMillis(attempt, random::nextDouble, 0);
            sum += delay;
            buckets[(int) Math.min(9, delay / 200)]++;
        }
        assertThat(sum / SAMPLES).isCloseTo(1000.0, within(15.0)); // ceiling / 2; standard error ≈ 1.8
        for (long bucket : buckets) {
            assertThat(bucket).as("buckets %s", Arrays.toString(buckets)).isBetween(9_400L, 10_600L);
        }
    }

    @Test
    void equalJitterIsUniformOverTheUpperHalf() {
        BackoffPolicy policy = defaults(Jitter.EQUAL);
        Random random = new Random(11);
        double sum = 0;
        long min = Long.MAX_VALUE;
        for (int i = 0; i < SAMPLES; i++) {
            long delay = policy.delayMillis(3, random::nextDouble, 0);
            sum += delay;
            min = Math.min(min, delay);
        }
        assertThat(sum / SAMPLES).isCloseTo(1500.0, within(10.0)); // 3/4 of the ceiling
        assertThat(min).isBetween(1000L, 1005L);
    }

    @Test
    void decorrelatedJitterStartsAboveInitialAndGrowsFromThePreviousDelay() {
        BackoffPolicy policy = defaults(Jitter.DECORRELATED);
        Random random = new Random(3);
        double firstSum = 0;
        for (int i = 0; i < SAMPLES; i++) {
            long first = policy.delayMillis(0, random::nextDouble, 12_345); // previous ignored on attempt 0
            assertThat(first).isBetween(250L, 750L);
            firstSum += first;
        }
        assertThat(firstSum / SAMPLES).isCloseTo(500.0, within(5.0));
        double[] meanAt = new double[15];
        for (int run = 0; run < 10_000; run++) {
            long previous = 0;
            for (int attempt = 0; attempt < meanAt.length; attempt++) {
                previous = policy.delayMillis(attempt, random::nextDouble, previous);
                meanAt[attempt] += previous / 10_000.0;
            }
        }
        assertThat(meanAt[1]).isGreaterThan(meanAt[0]);
        assertThat(meanAt[5]).isGreaterThan(meanAt[1] * 2);
        assertThat(meanAt[14]).isBetween(5_000.0, 20_000.0); // held below the cap: it keeps falling back
    }

    @Test
    void sameSeedSameDelays() {
        BackoffPolicy policy = defaults(Jitter.FULL);
        Random a = new Random(99);
        Random b = new Random(99);
        for (int attempt = 0; attempt < 20; attempt++) {
            assertThat(policy.delayMillis(attempt, a::nextDouble, 0)).isEqualTo(policy.delayMillis(attempt,
                    b::nextDouble, 0));
        }
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new BackoffPolicy(Duration.ZERO, Duration.ofSeconds(1), 2, Jitter.FULL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackoffPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, Jitter.FULL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackoffPolicy(Duration.ofMillis(1), Duration.ofSeconds(1), 0.5, Jitter.FULL))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
