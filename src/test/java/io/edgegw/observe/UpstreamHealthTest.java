package io.edgegw.observe;

import static io.edgegw.observe.MetricsScrapeTest.delta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.TcpProxy;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The upstream state gauge, the reconnect counter and the health checks, while node links are cut and refused. */
@QuarkusTest
@WithTestResource(ObservabilityClusterResource.class)
class UpstreamHealthTest {

    private static final Duration WAIT = ObservabilityClusterResource.patience();
    private static final int CONNECTIONS = ObservabilityClusterResource.CONNECTIONS;

    @Inject
    Draining draining;

    @AfterEach
    void heal() {
        draining.cancel();
        ObservabilityClusterResource.heal();
        awaitAllConnected();
    }

    @Test
    void aCutLinkMovesTheStateGaugeThroughTheStatesBackToConnectedAndCounts1006() {
        awaitAllConnected();
        JsonObject victim = upstreams().getJsonObject(0);
        int index = nodeIndex(victim.getString("node"));
        String node = ObservabilityClusterResource.nodeTag(index);
        TcpProxy proxy = ObservabilityClusterResource.proxies().get(index);
        PrometheusText before = PrometheusText.scrape();

        proxy.cut();

        await().atMost(WAIT).untilAsserted(() -> {
            PrometheusText after = PrometheusText.scrape();
            assertThat(delta(before, after, "gateway_upstream_reconnects_total", "node", node, "code", "1006"))
                    .isEqualTo(1);
            for (String[] edge : new String[][] { { "connected", "backoff" }, { "backoff", "probing" },
                    { "probing", "connecting" }, { "connecting", "connected" } }) {
                assertThat(delta(before, after, "gateway_upstream_transitions_total", "from", edge[0], "to", edge[1]))
                        .as("%s -> %s", edge[0], edge[1]).isGreaterThanOrEqualTo(1);
            }
            assertThat(after.value("gateway_upstream_connections", "state", "connected")).isEqualTo(CONNECTIONS);
            assertThat(after.sum("gateway_upstream_connections")).isEqualTo(CONNECTIONS);
            assertThat(delta(before, after, "gateway_upstream_connect_duration_seconds_count", "outcome",
                    "connected")).isGreaterThanOrEqualTo(1);
        });
        assertThat(upstreams().stream().map(JsonObject.class::cast)
                .filter(c -> c.getString("connection").equals(victim.getString("connection")))
                .findFirst().orElseThrow().getInteger("lastCloseCode")).isEqualTo(1006);
    }

    @Test
    void readinessFollowsTheConnectedUpstreamsWhileLivenessStaysUp() {
        awaitAllConnected();
        List<TcpProxy> proxies = ObservabilityClusterResource.proxies();
        proxies.forEach(proxy -> proxy.refuse(true));
        proxies.forEach(TcpProxy::cut);

        await().atMost(WAIT).untilAsserted(() -> {
            RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(503);
            PrometheusText scrape = PrometheusText.scrape();
            assertThat(scrape.value("gateway_upstream_connections", "state", "connected")).isZero();
            assertThat(scrape.sum("gateway_upstream_connections")).isEqualTo(CONNECTIONS);
            assertThat(scrape.value("gateway_upstream_connections", "state", "backoff")
                    + scrape.value("gateway_upstream_connections", "state", "probing")
                    + scrape.value("gateway_upstream_connections", "state", "connecting")).isEqualTo(CONNECTIONS);
        });
        JsonPath ready = RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(503).extract()
                .jsonPath();
        assertThat(ready.getString("checks.find { it.name == 'upstream' }.status")).isEqualTo("DOWN");
        assertThat(ready.getInt("checks.find { it.name == 'upstream' }.data.connected")).isZero();
        RestAssured.get(GatewayUrls.management("/q/health/live")).then().statusCode(200);
        RestAssured.get(GatewayUrls.management("/q/health/started")).then().statusCode(200);
        RestAssured.get(GatewayUrls.http("/ws/health")).then().statusCode(503);

        proxies.get(0).refuse(false);
        await().atMost(WAIT).untilAsserted(
                () -> RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(200));
        RestAssured.get(GatewayUrls.management("/q/health/live")).then().statusCode(200);
        RestAssured.get(GatewayUrls.http("/ws/health")).then().statusCode(200);
        assertThat(PrometheusText.scrape().value("gateway_upstream_connections", "state", "connected"))
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void drainingTakesTheGatewayOutOfReadinessAndThePublicProbe() {
        awaitAllConnected();
        RestAssured.get(GatewayUrls.http("/ws/health")).then().statusCode(200);
        draining.start();
        JsonPath ready = RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(503).extract()
                .jsonPath();
        assertThat(ready.getBoolean("checks.find { it.name == 'upstream' }.data.draining")).isTrue();
        assertThat(ready.getInt("checks.find { it.name == 'upstream' }.data.connected")).isEqualTo(CONNECTIONS);
        RestAssured.get(GatewayUrls.http("/ws/health")).then().statusCode(503);
        RestAssured.get(GatewayUrls.management("/q/health/live")).then().statusCode(200);
        draining.cancel();
        RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(200);
    }

    @Test
    void healthChecksCarryTheirData() {
        awaitAllConnected();
        JsonPath ready = RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(200).extract()
                .jsonPath();
        for (Object connection : upstreams()) {
            String name = ((JsonObject) connection).getString("connection");
            assertThat(ready.getString("checks.find { it.name == 'upstream' }.data['" + name + "']"))
                    .startsWith("connected ws://127.0.0.1:");
        }
        assertThat(ready.getInt("checks.find { it.name == 'upstream' }.data.minConnected")).isEqualTo(1);

        JsonPath live = RestAssured.get(GatewayUrls.management("/q/health/live")).then().statusCode(200).extract()
                .jsonPath();
        java.util.Map<String, Object> data = live.getMap("checks.find { it.name == 'event-loops' }.data");
        assertThat(data).containsEntry("stallThresholdMs", 10_000);
        assertThat(data.keySet().stream().filter(k -> k.endsWith(".lagMs"))).hasSizeGreaterThanOrEqualTo(1);

        RestAssured.get(GatewayUrls.management("/q/health/started")).then().statusCode(200);
    }

    // ---- helpers

    private static JsonArray upstreams() {
        String body = RestAssured.given()
                .header("Authorization", "Bearer " + ObservabilityClusterResource.ADMIN_TOKEN)
                .get(GatewayUrls.management("/admin/upstreams")).then().statusCode(200).extract().asString();
        return new JsonObject(body).getJsonArray("connections");
    }

    private static int nodeIndex(String nodeUrl) {
        for (int i = 0; i < ObservabilityClusterResource.proxies().size(); i++) {
            if (ObservabilityClusterResource.nodeUrl(i).equals(nodeUrl)) {
                return i;
            }
        }
        throw new AssertionError("no proxy for " + nodeUrl);
    }

    private static void awaitAllConnected() {
        await().atMost(WAIT).until(() -> PrometheusText.scrape()
                .value("gateway_upstream_connections", "state", "connected") == CONNECTIONS);
    }
}
