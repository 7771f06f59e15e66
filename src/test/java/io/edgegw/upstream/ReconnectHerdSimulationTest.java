package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.edgegw.config.GatewayConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.WithDefault;

/**
 * 10,000 gateways lose the same node at the same instant (a node crash: every link dies with 1006). Each draws its
 * first reconnect delay from the default policy (the {@code @WithDefault}s of {@link GatewayConfig.Backoff}, read
 * here so that the simulation follows the shipped defaults) and moves to the next node of its ring that its other
 * connection is not on, as {@link UpstreamConnection} does. No sockets: times only.
 *
 * <p>The printed peak is the figure the README quotes.
 */
class ReconnectHerdSimulationTest {

    private static final int GATEWAYS = 10_000;
    private static final int NODES = 3;
    private static final long WINDOW_MS = 100;

    @Test
    void jitterSpreadsTheReconnectsOfTenThousandGatewaysOverTimeAndTheRemainingNodes() throws Exception {
        BackoffPolicy policy = defaultPolicy();
        assertThat(policy.jitter()).isEqualTo(BackoffPolicy.Jitter.FULL);
        Random random = new Random(2024);

        long[] at = new long[GATEWAYS];
        int[] perNode = new int[NODES];
        long[][] timesPerNode = new long[NODES][GATEWAYS];
        for (int g = 0; g < GATEWAYS; g++) {
            // gateways start at a random position, connection i at start + i: those with a connection on node 0
            // have their other connection on node 1 (start 0) or node 2 (start 2); the one on node 0 moves on to
            // the next node its sibling is not on
            boolean siblingOnNode1 = random.nextBoolean();
            int target = siblingOnNode1 ? 2 : 1;
            at[g] = policy.delayMillis(0, random::nextDouble, 0); // attempt 0: the link had been stable
            timesPerNode[target][perNode[target]++] = at[g];
        }
        int peak = peakPerWindow(at, GATEWAYS);
        int peakNode1 = peakPerWindow(timesPerNode[1], perNode[1]);
        int peakNode2 = peakPerWindow(timesPerNode[2], perNode[2]);
        int unjittered = GATEWAYS; // every gateway at the same delay
        int equalJitterPeak = peakPerWindow(simulate(withJitter(policy, BackoffPolicy.Jitter.EQUAL), random),
                GATEWAYS);
        int decorrelatedPeak = peakPerWindow(simulate(withJitter(policy, BackoffPolicy.Jitter.DECORRELATED),
                random), GATEWAYS);

        System.out.printf(Locale.ROOT, "reconnect herd: %d gateways lose one of %d nodes; default policy %s%n"
                + "  peak reconnects per %d ms window (sliding): %d (node 1: %d of %d, node 2: %d of %d)%n"
                + "  for comparison: no jitter %d, equal jitter %d, decorrelated jitter %d%n",
                GATEWAYS, NODES, policy, WINDOW_MS, peak, peakNode1, perNode[1], peakNode2, perNode[2],
                unjittered, equalJitterPeak, decorrelatedPeak);

        // uniform over [0, 250] ms puts 100/251 of the herd in any 100 ms: about 3,984
        double expected = GATEWAYS * (double) WINDOW_MS / (policy.ceilingMillis(0) + 1);
        assertThat(peak).isLessThan((int) (GATEWAYS * WINDOW_MS / 250.0 * 1.3));
        assertThat(peak).isBetween((int) (expected * 0.95), (int) (expected * 1.1));
        assertThat(Arrays.stream(at).max().getAsLong()).isLessThanOrEqualTo(policy.ceilingMillis(0));
        // and over the remaining nodes, about half each
        assertThat(perNode[1]).isBetween(4_700, 5_300);
        assertThat(peakNode1).isLessThan((int) (peak * 0.6));
        assertThat(peakNode2).isLessThan((int) (peak * 0.6));
        assertThat(equalJitterPeak).isGreaterThan(peak);
    }

    private static long[] simulate(BackoffPolicy policy, Random random) {
        long[] at = new long[GATEWAYS];
        for (int g = 0; g < GATEWAYS; g++) {
            at[g] = policy.delayMillis(0, random::nextDouble, 0);
        }
        return at;
    }

    /** The most reconnects in any window of {@link #WINDOW_MS} (sliding, both ends included). */
    static int peakPerWindow(long[] times, int count) {
        long[] sorted = Arrays.copyOf(times, count);
        Arrays.sort(sorted);
        int peak = 0;
        int start = 0;
        for (int end = 0; end < sorted.length; end++) {
            while (sorted[end] - sorted[start] >= WINDOW_MS) {
                start++;
            }
            peak = Math.max(peak, end - start + 1);
        }
        return peak;
    }

    private static BackoffPolicy withJitter(BackoffPolicy policy, BackoffPolicy.Jitter jitter) {
        return new BackoffPolicy(policy.initial(), policy.max(), policy.multiplier(), jitter);
    }

    /** The policy a gateway gets when {@code gateway.upstream.backoff.*} is not set. */
    static BackoffPolicy defaultPolicy() throws NoSuchMethodException {
        Class<GatewayConfig.Backoff> keys = GatewayConfig.Backoff.class;
        Duration initial = DurationConverter.parseDuration(defaultOf(keys, "initial"));
        Duration max = DurationConverter.parseDuration(defaultOf(keys, "max"));
        double multiplier = Double.parseDouble(defaultOf(keys, "multiplier"));
        BackoffPolicy.Jitter jitter = BackoffPolicy.Jitter.named(defaultOf(keys, "jitter"));
        return new BackoffPolicy(initial, max, multiplier, jitter);
    }

    private static String defaultOf(Class<?> keys, String method) throws NoSuchMethodException {
        return keys.getMethod(method).getAnnotation(WithDefault.class).value();
    }
}
