package io.edgegw.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayProcess;

/**
 * Settings the gateway cannot work with stop the packaged gateway at start, with the key named in its log: an
 * orchestrator then shows a crash loop with the reason, not a gateway that looks up and refuses every browser.
 */
class StartupRefusalIT {

    @Test
    void browserAuthWithoutAKeyStopsTheGatewayAtStart() {
        assertThatThrownBy(() -> GatewayProcess.start("gateway.auth.enabled=true").close())
                .hasMessageContaining("the gateway exited at start")
                .hasMessageContaining("gateway.auth.enabled=true needs gateway.auth.secret or gateway.auth.public-key");
    }

    @Test
    void anHs256SecretShorterThanTheHashStopsTheGatewayAtStart() {
        assertThatThrownBy(() -> GatewayProcess.start("gateway.auth.enabled=true", "gateway.auth.secret=short").close())
                .hasMessageContaining("gateway.auth.secret must be at least 32 bytes");
    }

    @Test
    void aPublicKeyThatIsNotPemStopsTheGatewayAtStart() {
        assertThatThrownBy(() -> GatewayProcess.start("gateway.auth.enabled=true",
                "gateway.auth.public-key=not-a-key").close())
                .hasMessageContaining("gateway.auth.public-key is not a PEM public key");
    }

    @Test
    void limitsAndTimersTheGatewayCannotWorkWithStopItAtStartEachNamed() {
        assertThatThrownBy(() -> GatewayProcess.start("gateway.upstream.heartbeat.interval=0",
                "gateway.client.rate=0").close())
                .hasMessageContaining("the gateway exited at start")
                .hasMessageContaining("gateway.upstream.heartbeat.interval must be at least 1ms: PT0S")
                .hasMessageContaining("gateway.client.rate must be at least 1: 0");
    }

    @Test
    void anUnknownJitterKindStopsTheGatewayAtStart() {
        assertThatThrownBy(() -> GatewayProcess.start("gateway.upstream.backoff.jitter=sometimes").close())
                .hasMessageContaining("gateway.upstream.backoff.jitter must be full, equal or decorrelated: sometimes");
    }
}
