package io.edgegw.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ConfigChecksTest {

    private static final Duration STALL = Duration.ofSeconds(10);

    @Test
    void theDefaultsAndTheirNeighboursPass() {
        assertThat(ConfigChecks.problems(2, 1, STALL)).isEmpty();
        assertThat(ConfigChecks.problems(1, 0, STALL)).isEmpty();
        assertThat(ConfigChecks.problems(3, 3, Duration.ofMillis(1))).isEmpty();
    }

    @Test
    void valuesAGatewayCouldNeverBeHealthyWithAreNamedByTheirKey() {
        assertThat(ConfigChecks.problems(0, 0, STALL)).singleElement().asString()
                .startsWith("gateway.upstream.connections must be at least 1");
        assertThat(ConfigChecks.problems(2, 3, STALL)).singleElement().asString()
                .startsWith("gateway.upstream.min-connected must be between 0 and gateway.upstream.connections (2)");
        assertThat(ConfigChecks.problems(2, -1, STALL)).singleElement().asString()
                .contains("gateway.upstream.min-connected");
        assertThat(ConfigChecks.problems(2, 1, Duration.ZERO)).singleElement().asString()
                .startsWith("gateway.health.event-loop-stall must be more than 0");
        assertThat(ConfigChecks.problems(0, 1, Duration.ofSeconds(-1))).hasSize(3);
    }
}
