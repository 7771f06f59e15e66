package io.edgegw.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The checks run on the real mapping, built from properties as Quarkus builds it (its duration syntax included). */
class ConfigChecksTest {

    private static SmallRyeConfig config(String... keyValues) {
        Map<String, String> properties = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put(keyValues[i], keyValues[i + 1]);
        }
        return new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .withMapping(GatewayConfig.class)
                .build();
    }

    private static List<String> problems(String... keyValues) {
        return ConfigChecks.problems(config(keyValues).getConfigMapping(GatewayConfig.class));
    }

    @Test
    void theDefaultsAndTheirNeighboursPass() {
        assertThat(problems()).isEmpty();
        assertThat(problems("gateway.upstream.connections", "1", "gateway.upstream.min-connected", "0")).isEmpty();
        assertThat(problems("gateway.upstream.connections", "3", "gateway.upstream.min-connected", "3",
                "gateway.health.event-loop-stall", "1ms")).isEmpty();
        assertThat(problems("gateway.client.max-frame-size", "1024", "gateway.upstream.send-queue.capacity", "1",
                "gateway.session.held-frames", "1", "gateway.fanout.history.size", "0", "gateway.fanout.history.max-age", "0", "gateway.fanout.unsub-grace",
                "0", "gateway.shutdown.drain-period", "0", "gateway.upstream.going-away-jitter", "0")).isEmpty();
        assertThat(problems("gateway.demo.enabled", "true", "gateway.demo.base-port", "65533", "gateway.demo.nodes",
                "3")).isEmpty();
    }

    @Test
    void valuesAGatewayCouldNeverBeHealthyWithAreNamedByTheirKey() {
        assertThat(problems("gateway.upstream.connections", "0", "gateway.upstream.min-connected", "0"))
                .singleElement().asString().isEqualTo("gateway.upstream.connections must be at least 1: 0");
        assertThat(problems("gateway.upstream.connections", "2", "gateway.upstream.min-connected", "3"))
                .singleElement().asString()
                .startsWith("gateway.upstream.min-connected must be between 0 and gateway.upstream.connections (2)");
        assertThat(problems("gateway.upstream.min-connected", "-1")).singleElement().asString()
                .contains("gateway.upstream.min-connected");
        assertThat(problems("gateway.health.event-loop-stall", "0")).singleElement().asString()
                .isEqualTo("gateway.health.event-loop-stall must be at least 1ms: PT0S");
    }

    @Test
    void aDurationATimerIsSetFromMustBeAMillisecondAtLeast() {
        for (String key : List.of("gateway.upstream.connect-timeout", "gateway.upstream.send-timeout",
                "gateway.upstream.heartbeat.interval", "gateway.upstream.heartbeat.timeout", "gateway.client.heartbeat",
                "gateway.session.resume-ttl", "gateway.warmup.max-duration")) {
            assertThat(problems(key, "0")).as(key).containsExactly(key + " must be at least 1ms: PT0S");
            assertThat(problems(key, "PT0.0005S")).as(key).singleElement().asString().startsWith(key);
            assertThat(problems(key, "1ms")).as(key).isEmpty();
        }
    }

    @Test
    void limitsThatWouldRefuseEveryBrowserAreNamed() {
        for (String key : List.of("gateway.client.max-sessions", "gateway.client.max-subscriptions",
                "gateway.client.rate", "gateway.client.burst", "gateway.client.max-inflight-sends",
                "gateway.client.max-outbound-bytes", "gateway.upstream.send-queue.capacity",
                "gateway.session.held-frames")) {
            assertThat(problems(key, "0")).as(key).containsExactly(key + " must be at least 1: 0");
            assertThat(problems(key, "1")).as(key).isEmpty();
        }
        assertThat(problems("gateway.client.max-frame-size", "1023"))
                .containsExactly("gateway.client.max-frame-size must be at least 1024: 1023");
        assertThat(problems("gateway.session.resume-token-lifetime", "999ms"))
                .containsExactly("gateway.session.resume-token-lifetime must be at least 1s: PT0.999S");
    }

    @Test
    void negativeCountsAndDurationsAreNamed() {
        for (String key : List.of("gateway.fanout.history.size", "gateway.warmup.links")) {
            assertThat(problems(key, "-1")).as(key).containsExactly(key + " must be at least 0: -1");
        }
        for (String key : List.of("gateway.upstream.going-away-jitter", "gateway.upstream.backoff.stable-after",
                "gateway.fanout.unsub-grace", "gateway.fanout.pacing-threshold", "gateway.fanout.pacing-max",
                "gateway.fanout.pacing-max-keeping-up", "gateway.shutdown.drain-period",
                "gateway.fanout.history.max-age")) {
            assertThat(problems(key, "-PT1S")).as(key).containsExactly(key + " must not be negative: PT-1S");
        }
    }

    @Test
    void demoPortsMustFitWhenTheDemoRuns() {
        assertThat(problems("gateway.demo.enabled", "true", "gateway.demo.base-port", "65534")).singleElement()
                .asString().startsWith("gateway.demo.base-port must leave room for gateway.demo.nodes ports");
        assertThat(problems("gateway.demo.enabled", "true", "gateway.demo.nodes", "0")).singleElement()
                .asString().isEqualTo("gateway.demo.nodes must be at least 1: 0");
        assertThat(problems("gateway.demo.base-port", "0")).as("not checked while the demo is off").isEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThat(problems("gateway.upstream.connections", "0", "gateway.upstream.min-connected", "1",
                "gateway.health.event-loop-stall", "-1s", "gateway.client.rate", "0")).hasSize(4);
    }

    @Test
    void webSocketsNextKeysTheGatewaySetsItselfAreRefused() {
        assertThat(ConfigChecks.overriddenFrameworkKeys(config())).isEmpty();
        assertThat(ConfigChecks.overriddenFrameworkKeys(config(ConfigChecks.COMPRESSION_KEY, "false"))).isEmpty();
        assertThat(ConfigChecks.overriddenFrameworkKeys(config(ConfigChecks.COMPRESSION_KEY, "true"))).singleElement()
                .asString().startsWith(ConfigChecks.COMPRESSION_KEY + " is not supported");
        assertThat(ConfigChecks.overriddenFrameworkKeys(config("quarkus.websockets-next.server.max-frame-size", "9",
                "quarkus.websockets-next.server.max-message-size", "9")))
                .containsExactly(
                        "quarkus.websockets-next.server.max-frame-size is set from gateway.client.max-frame-size: "
                                + "set that instead (9)",
                        "quarkus.websockets-next.server.max-message-size is set from gateway.client.max-frame-size: "
                                + "set that instead (9)");
    }
}
