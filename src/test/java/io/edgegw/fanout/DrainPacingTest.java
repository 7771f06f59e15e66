package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DrainPacingTest {

    private static final long MS = 1_000_000;
    private final DrainPacing pacing = DrainPacing.of(1.0, Duration.ofMillis(2), Duration.ofMillis(20));

    @Test
    void aShortDrainIsFollowedAtOnce() {
        assertThat(pacing.pauseAfter(0, 100, 10)).isZero();
        assertThat(pacing.pauseAfter(2 * MS, 100, 10)).isZero();
    }

    @Test
    void aLongDrainIsFollowedByAPauseInProportion() {
        assertThat(pacing.pauseAfter(3 * MS, 100, 10)).isEqualTo(3 * MS);
        assertThat(DrainPacing.of(0.5, Duration.ofMillis(2), Duration.ofMillis(20)).pauseAfter(8 * MS, 100, 10))
                .isEqualTo(4 * MS);
    }

    @Test
    void noPauseWhenEveryFrameCarriesASingleMessage() {
        // many topics with few subscribers each: waiting would not make any frame larger
        assertThat(pacing.pauseAfter(10 * MS, 1000, 1000)).isZero();
        assertThat(pacing.pauseAfter(10 * MS, 1400, 1000)).isZero();
        assertThat(pacing.pauseAfter(10 * MS, 1500, 1000)).isEqualTo(10 * MS);
    }

    @Test
    void thePauseNeverExceedsTheMaximum() {
        assertThat(pacing.pauseAfter(500 * MS, 100, 10)).isEqualTo(20 * MS);
    }

    @Test
    void zeroFactorOrZeroMaximumTurnsItOff() {
        assertThat(DrainPacing.of(0, Duration.ofMillis(2), Duration.ofMillis(20))).isSameAs(DrainPacing.OFF);
        assertThat(DrainPacing.of(1, Duration.ofMillis(2), Duration.ZERO)).isSameAs(DrainPacing.OFF);
        assertThat(DrainPacing.OFF.pauseAfter(Long.MAX_VALUE / 2, 100, 10)).isZero();
    }

    @Test
    void aNegativeFactorIsRefused() {
        assertThatThrownBy(() -> DrainPacing.of(-1, Duration.ofMillis(2), Duration.ofMillis(20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gateway.fanout.pacing");
    }
}
