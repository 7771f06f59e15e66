package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/**
 * A browser that sends nothing for {@code gateway.client.idle-timeout} is closed with 1001, even while it receives;
 * one that pings as the protocol asks stays.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(IdleSessionsTest.ShortIdleTimeout.class)
class IdleSessionsTest {

    public static class ShortIdleTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.client.idle-timeout", "2s", "gateway.client.heartbeat", "1s");
        }
    }

    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String GOING_AWAY = "code=\"1001\"";

    @Test
    void aBrowserThatSendsNothingIsClosedWith1001EvenWhileItReceives() {
        String topic = "idle/ticks";
        try (TestClient browser = TestClient.connect(GatewayUrls.ws())) {
            browser.welcome();
            double closesBefore = Scrape.value("gateway_client_closes_total", GOING_AWAY);
            long lastRequest = System.nanoTime();
            browser.sendJson(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", List.of(topic)));
            assertThat(browser.awaitReply("s", WAIT).getString("type")).isEqualTo("subscribed");

            int[] published = {0};
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                ReferenceClusterResource.cluster().publish(topic, "{\"n\":" + published[0]++ + "}");
                return browser.isClosed();
            });

            assertThat(Duration.ofNanos(System.nanoTime() - lastRequest)).isGreaterThanOrEqualTo(IDLE_TIMEOUT);
            assertThat(browser.frames("message")).as("it was receiving until then").isNotEmpty();
            assertThat(browser.closeCode()).isEqualTo(1001);
            assertThat(browser.closeReason()).isEqualTo("idle timeout");
            await().atMost(WAIT).until(() -> Scrape.value("gateway_client_closes_total", GOING_AWAY) == closesBefore + 1);
        }
    }

    @Test
    void aBrowserThatPingsStaysOpen() {
        try (TestClient browser = TestClient.connect(GatewayUrls.ws())) {
            browser.welcome();
            int[] pings = {0};
            await().during(IDLE_TIMEOUT.multipliedBy(2)).atMost(IDLE_TIMEOUT.multipliedBy(3))
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        browser.sendJson(new JsonObject().put("type", "ping"));
                        pings[0]++;
                        return !browser.isClosed();
                    });
            await().atMost(WAIT).until(() -> browser.frames("pong").size() == pings[0]);
        }
    }

    @Test
    void theTimeoutMustBeLongerThanTheHeartbeatOrOff() {
        Duration heartbeat = Duration.ofSeconds(25);
        assertThatThrownBy(() -> IdleSessions.requireLongerThanHeartbeat(heartbeat, heartbeat))
                .hasMessageContaining("gateway.client.idle-timeout");
        assertThatThrownBy(() -> IdleSessions.requireLongerThanHeartbeat(Duration.ofSeconds(-1), heartbeat))
                .isInstanceOf(IllegalArgumentException.class);
        IdleSessions.requireLongerThanHeartbeat(Duration.ZERO, heartbeat);
        IdleSessions.requireLongerThanHeartbeat(Duration.ofSeconds(90), heartbeat);
    }
}
