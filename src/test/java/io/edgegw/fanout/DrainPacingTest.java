package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DrainPacingTest {

    private static final long MS = 1_000_000;
    private static final long CAP = 20 * MS;
    private final DrainPacing pacing = DrainPacing.of(1.0, Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(20));

    @Test
    void aShortDrainIsFollowedAtOnce() {
        assertThat(pacing.pauseAfter(0, 100, 10, CAP)).isZero();
        assertThat(pacing.pauseAfter(2 * MS, 100, 10, CAP)).isZero();
    }

    @Test
    void aLongDrainIsFollowedByAPauseInProportion() {
        assertThat(pacing.pauseAfter(3 * MS, 100, 10, CAP)).isEqualTo(3 * MS);
        assertThat(DrainPacing.of(0.5, Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(20))
                .pauseAfter(8 * MS, 100, 10, CAP))
                .isEqualTo(4 * MS);
    }

    @Test
    void noPauseWhenEveryFrameCarriesASingleMessage() {
        // many topics with few subscribers each: waiting would not make any frame larger
        assertThat(pacing.pauseAfter(10 * MS, 1000, 1000, CAP)).isZero();
        assertThat(pacing.pauseAfter(10 * MS, 1400, 1000, CAP)).isZero();
        assertThat(pacing.pauseAfter(10 * MS, 1500, 1000, CAP)).isEqualTo(10 * MS);
    }

    @Test
    void thePauseNeverExceedsTheCap() {
        assertThat(pacing.pauseAfter(500 * MS, 100, 10, CAP)).isEqualTo(20 * MS);
        assertThat(pacing.pauseAfter(500 * MS, 100, 10, pacing.initialCapNanos())).isEqualTo(5 * MS);
    }

    @Test
    void theCapStartsAtTheKeepingUpMaximumAndDoublesWhileFallingBehind() {
        long cap = pacing.initialCapNanos();
        assertThat(cap).isEqualTo(5 * MS);
        cap = pacing.nextCap(cap, true);
        assertThat(cap).isEqualTo(10 * MS);
        cap = pacing.nextCap(cap, true);
        assertThat(cap).isEqualTo(20 * MS);
        assertThat(pacing.nextCap(cap, true)).as("never beyond pacing-max").isEqualTo(20 * MS);
    }

    @Test
    void withoutPausesWhileKeepingUpTheCapGrowsFromTheThreshold() {
        DrainPacing noKeepingUpPauses = DrainPacing.of(1.0, Duration.ofMillis(2), Duration.ZERO,
                Duration.ofMillis(20));
        long cap = noKeepingUpPauses.initialCapNanos();
        assertThat(cap).isZero();
        assertThat(noKeepingUpPauses.pauseAfter(10 * MS, 100, 10, cap)).isZero();
        cap = noKeepingUpPauses.nextCap(cap, true);
        assertThat(cap).as("not 2 ns").isEqualTo(4 * MS);
        cap = noKeepingUpPauses.nextCap(noKeepingUpPauses.nextCap(cap, true), true);
        assertThat(cap).isEqualTo(16 * MS);
        assertThat(noKeepingUpPauses.nextCap(cap, true)).isEqualTo(20 * MS);
        assertThat(DrainPacing.OFF.nextCap(0, true)).as("off stays off").isZero();
    }

    @Test
    void theCapHalvesBackWhileKeepingUp() {
        assertThat(pacing.nextCap(20 * MS, false)).isEqualTo(10 * MS);
        assertThat(pacing.nextCap(10 * MS, false)).isEqualTo(5 * MS);
        assertThat(pacing.nextCap(5 * MS, false)).as("never below the keeping-up maximum").isEqualTo(5 * MS);
    }

    @Test
    void aKeepingUpMaximumAboveTheMaximumIsLoweredToIt() {
        DrainPacing inverted = DrainPacing.of(1.0, Duration.ofMillis(2), Duration.ofMillis(50),
                Duration.ofMillis(20));
        assertThat(inverted.initialCapNanos()).isEqualTo(20 * MS);
        assertThat(inverted.nextCap(20 * MS, false)).isEqualTo(20 * MS);
    }

    @Test
    void zeroFactorOrZeroMaximumTurnsItOff() {
        assertThat(DrainPacing.of(0, Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(20)))
                .isSameAs(DrainPacing.OFF);
        assertThat(DrainPacing.of(1, Duration.ofMillis(2), Duration.ZERO, Duration.ZERO)).isSameAs(DrainPacing.OFF);
        assertThat(DrainPacing.OFF.pauseAfter(Long.MAX_VALUE / 2, 100, 10, CAP)).isZero();
    }

    @Test
    void aNegativeFactorIsRefused() {
        assertThatThrownBy(() -> DrainPacing.of(-1, Duration.ofMillis(2), Duration.ofMillis(5),
                Duration.ofMillis(20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gateway.fanout.pacing");
        // also when a pacing-max of 0 turns pacing off: a negative value is a mistake either way
        assertThatThrownBy(() -> DrainPacing.of(-1, Duration.ofMillis(2), Duration.ofMillis(5), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gateway.fanout.pacing");
    }
}
