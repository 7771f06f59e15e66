package io.edgegw.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.demo.ReferenceNode;
import io.edgegw.observe.PrometheusText.Sample;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.TcpProxy;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonObject;

/** The Prometheus scrape on the management port: every PROTOCOL.md metric, and counters that match the traffic. */
@QuarkusTest
@WithTestResource(ObservabilityClusterResource.class)
class MetricsScrapeTest {

    private static final Duration WAIT = ObservabilityClusterResource.patience();
    private static final List<String> STATES = List.of("idle", "probing", "connecting", "connected", "backoff",
            "draining", "closed");

    private static ReferenceCluster cluster() {
        return ObservabilityClusterResource.cluster();
    }

    @Test
    void everyProtocolMetricIsInAScrapeWithItsKnownTagValuesAtStart() {
        PrometheusText scrape = PrometheusText.scrape();
        for (String state : STATES) {
            scrape.sample("gateway_upstream_connections", "state", state);
        }
        assertThat(scrape.sum("gateway_upstream_connections")).isEqualTo(ObservabilityClusterResource.CONNECTIONS);
        for (int node = 0; node < 3; node++) {
            for (String code : List.of("1006", "1001", "connect_failed", "probe_failed", "pong_timeout")) {
                scrape.sample("gateway_upstream_reconnects_total", "node", ObservabilityClusterResource.nodeTag(node),
                        "code", code);
            }
        }
        scrape.sample("gateway_sessions");
        scrape.sample("gateway_topics");
        scrape.sample("gateway_messages_received_total");
        scrape.sample("gateway_messages_delivered_total");
        scrape.sample("gateway_messages_ignored_total", "scope", "global");
        scrape.sample("gateway_messages_ignored_total", "scope", "session");
        for (String reason : GatewayMetrics.DROP_REASONS) {
            scrape.sample("gateway_messages_dropped_total", "reason", reason);
        }
        for (String outcome : List.of("acked", "nacked", "expired", "rejected")) {
            scrape.sample("gateway_sends_total", "outcome", outcome);
        }
        scrape.sample("gateway_fanout_latency_seconds_bucket", "le", "+Inf");
        scrape.sample("gateway_fanout_latency_seconds_count");
        scrape.sample("gateway_fanout_latency_seconds_sum");

        // beside the contract
        scrape.sample("gateway_client_opens_total");
        for (String code : GatewayMetrics.CLIENT_CLOSE_CODES) {
            scrape.sample("gateway_client_closes_total", "code", code);
        }
        scrape.sample("gateway_upstream_transitions_total", "from", "connecting", "to", "connected");
        scrape.sample("gateway_upstream_transitions_total", "from", "connected", "to", "backoff");
        scrape.sample("gateway_upstream_connect_duration_seconds_bucket", "outcome", "connected", "le", "+Inf");
        scrape.sample("gateway_upstream_connect_duration_seconds_bucket", "outcome", "failed", "le", "+Inf");
        scrape.sample("gateway_upstream_pending_sends", "state", "queued");
        scrape.sample("gateway_upstream_pending_sends", "state", "awaiting_ack");
        scrape.sample("gateway_history_messages");
        scrape.sample("gateway_session_outbound_backlog_bytes_bucket", "le", "+Inf");
        scrape.sample("gateway_event_loop_lag_seconds");
    }

    @Test
    void histogramsPublishBoundedBucketsForHistogramQuantile() {
        PrometheusText scrape = PrometheusText.scrape();
        for (String histogram : List.of("gateway_fanout_latency_seconds", "gateway_upstream_connect_duration_seconds",
                "gateway_session_outbound_backlog_bytes")) {
            List<Sample> buckets = scrape.samples(histogram + "_bucket");
            long perSeries = buckets.stream().filter(b -> b.has("le", "+Inf")).count();
            assertThat(perSeries).as(histogram).isPositive();
            assertThat(buckets.size() / perSeries).as("buckets per series of " + histogram).isBetween(8L, 20L);
        }
    }

    @Test
    void noGatewayMetricIsTaggedByTopicOrSession() {
        PrometheusText scrape = PrometheusText.scrape();
        for (String name : scrape.names()) {
            if (name.startsWith("gateway_")) {
                for (Sample sample : scrape.samples(name)) {
                    assertThat(sample.labels().keySet()).as(name).doesNotContain("topic", "session", "user");
                }
            }
        }
    }

    @Test
    void thePublicPortServesNeitherMetricsNorHealth() {
        RestAssured.get(GatewayUrls.http("/q/metrics")).then().statusCode(404);
        RestAssured.get(GatewayUrls.http("/q/health")).then().statusCode(404);
        RestAssured.get(GatewayUrls.http("/q/health/ready")).then().statusCode(404);
        RestAssured.get(GatewayUrls.management("/q/metrics")).then().statusCode(200);
    }

    @Test
    void deliveredIgnoredAndDuplicateCountersMatchWhatWasSent() {
        try (TestClient all = TestClient.connect(GatewayUrls.ws());
                TestClient quiet = TestClient.connect(GatewayUrls.ws())) {
            all.welcome();
            quiet.welcome();
            request(all, "subscribe", "1", "count/a", "count/b");
            request(quiet, "subscribe", "1", "count/a", "count/b");
            request(quiet, "ignore", "2", "count/b");
            await().atMost(WAIT).until(() -> nodeSubs("count/a") == 1 && nodeSubs("count/b") == 1);

            PrometheusText before = PrometheusText.scrape();
            for (int i = 0; i < 5; i++) {
                cluster().publish("count/a", "{\"n\":" + i + "}");
            }
            for (int i = 0; i < 3; i++) {
                cluster().publish("count/b", "{\"n\":" + i + "}");
            }
            all.awaitCount("message", 8, WAIT);
            quiet.awaitCount("message", 5, WAIT);
            await().atMost(WAIT).untilAsserted(() -> {
                PrometheusText after = PrometheusText.scrape();
                assertThat(delta(before, after, "gateway_messages_received_total")).isEqualTo(8);
                assertThat(delta(before, after, "gateway_messages_delivered_total")).isEqualTo(8 + 5);
                assertThat(delta(before, after, "gateway_messages_ignored_total", "scope", "session")).isEqualTo(3);
                // one latency sample per message and per event loop that has subscribers of it
                assertThat(delta(before, after, "gateway_fanout_latency_seconds_count")).isGreaterThanOrEqualTo(8);
            });
            assertThat(quiet.frames("message")).allMatch(m -> m.getString("topic").equals("count/a"));
        }
    }

    @Test
    void globalIgnoresAreCountedOncePerMessage() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            request(client, "subscribe", "1", "glob/**");
            await().atMost(WAIT).until(() -> nodeSubs("glob/**") == 1);
            admin("PUT", "glob/noisy");
            try {
                PrometheusText before = PrometheusText.scrape();
                cluster().publish("glob/noisy", "{}");
                cluster().publish("glob/noisy", "{}");
                cluster().publish("glob/calm", "{}");
                client.awaitCount("message", 1, WAIT);
                await().atMost(WAIT).untilAsserted(() -> {
                    PrometheusText after = PrometheusText.scrape();
                    assertThat(delta(before, after, "gateway_messages_ignored_total", "scope", "global")).isEqualTo(2);
                    assertThat(delta(before, after, "gateway_messages_delivered_total")).isEqualTo(1);
                });
            } finally {
                admin("DELETE", "glob/noisy");
            }
        }
    }

    @Test
    void aMessageThatArrivesOnTwoConnectionsIsDeliveredOnceAndCountedAsDuplicate() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            request(client, "subscribe", "1", "dup/*");
            await().atMost(WAIT).until(() -> nodeSubs("dup/*") == 1);
            ReferenceNode patternNode = nodeWithSub("dup/*");
            // an exact topic placed on the other connection gets each message a second time, through it
            String topic = null;
            for (int i = 0; i < 32 && topic == null; i++) {
                String candidate = "dup/t" + i;
                request(client, "subscribe", "s" + i, candidate);
                await().atMost(WAIT).until(() -> nodeSubs(candidate) == 1);
                if (nodeWithSub(candidate) != patternNode) {
                    topic = candidate;
                }
            }
            assertThat(topic).as("an exact topic placed on the other connection").isNotNull();
            PrometheusText before = PrometheusText.scrape();
            cluster().publish(topic, "{}");
            client.awaitCount("message", 1, WAIT);
            await().atMost(WAIT).untilAsserted(() -> {
                PrometheusText after = PrometheusText.scrape();
                assertThat(delta(before, after, "gateway_messages_received_total")).isEqualTo(2);
                assertThat(delta(before, after, "gateway_messages_dropped_total", "reason", "duplicate")).isEqualTo(1);
                assertThat(delta(before, after, "gateway_messages_delivered_total")).isEqualTo(1);
            });
            assertThat(client.frames("message")).hasSize(1);
        }
    }

    @Test
    void browserLinksAreCountedOpenedAndClosedByCode() throws Exception {
        PrometheusText before = PrometheusText.scrape();
        try (TestClient polite = TestClient.connect(GatewayUrls.ws())) {
            polite.welcome();
        }
        try (TcpProxy route = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient dropped = TestClient.connectThrough(route, GatewayUrls.ws());
            dropped.welcome();
            dropped.drop();
        }
        await().atMost(WAIT).untilAsserted(() -> {
            PrometheusText after = PrometheusText.scrape();
            assertThat(delta(before, after, "gateway_client_opens_total")).isEqualTo(2);
            String closes = after.samples("gateway_client_closes_total").toString();
            assertThat(delta(before, after, "gateway_client_closes_total", "code", "1000")).as(closes).isEqualTo(1);
            // WebSockets Next reports a link lost without a close frame as 1005 (no status), not 1006
            assertThat(delta(before, after, "gateway_client_closes_total", "code", "1005")).as(closes).isEqualTo(1);
            assertThat(after.value("gateway_sessions")).isEqualTo(before.value("gateway_sessions"));
        });
    }

    // ---- helpers

    static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    private static void request(TestClient client, String type, String id, String... topics) {
        client.sendJson(new JsonObject().put("type", type).put("id", id).put("topics", List.of(topics)));
        client.awaitReply(id, WAIT);
    }

    private static long nodeSubs(String topic) {
        return cluster().nodes().stream().flatMap(node -> node.received("sub").stream())
                .filter(frame -> topic.equals(frame.getString("topic"))).count();
    }

    private static ReferenceNode nodeWithSub(String topic) {
        return cluster().nodes().stream().filter(node -> node.received("sub").stream()
                .anyMatch(frame -> topic.equals(frame.getString("topic")))).findFirst().orElseThrow();
    }

    private static void admin(String method, String pattern) {
        RestAssured.given().header("Authorization", "Bearer " + ObservabilityClusterResource.ADMIN_TOKEN)
                .queryParam("pattern", pattern).request(method, GatewayUrls.management("/admin/ignore"))
                .then().statusCode(204);
    }
}
