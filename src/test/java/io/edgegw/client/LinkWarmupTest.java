package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;

/**
 * The start-up warm-up ({@code gateway.warmup.links}) runs its loopback links through {@code /ws} before readiness,
 * each subscribing to a topic, while the cluster and the client metrics never hear of them, and its header gives a
 * browser nothing: with an origin list that would refuse the warm-up's links as browsers (they send the loopback
 * origin), they are still served, and a browser that forges the header is checked like any other.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(LinkWarmupTest.ThreeWaves.class)
class LinkWarmupTest {

    public static class ThreeWaves implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.warmup.links", "3000", "gateway.allowed-origins", "https://app.example.com");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    LinkWarmup warmup;

    @Inject
    SessionRegistry registry;

    @Test
    void warmsUpBeforeReadinessUnseenByTheClusterAndTheMetrics() {
        await().atMost(WAIT).until(() -> RestAssured.get(GatewayUrls.management("/q/health/ready")).statusCode() == 200);
        JsonPath ready = RestAssured.get(GatewayUrls.management("/q/health/ready")).then().extract().jsonPath();
        assertThat(ready.getString("checks.find { it.name == 'warm-up' }.status")).isEqualTo("UP");
        assertThat(ready.getInt("checks.find { it.name == 'warm-up' }.data.links")).as("every link did its round")
                .isEqualTo(3000);
        assertThat(ready.getInt("checks.find { it.name == 'warm-up' }.data.planned")).isEqualTo(3000);

        assertThat(Scrape.value("gateway_client_opens_total", "")).as("warm-up links are not browsers").isZero();
        assertThat(Scrape.value("gateway_client_closes_total", "code=\"1000\"")).isZero();
        assertThat(Scrape.value("gateway_sessions", "")).isZero();
        await().atMost(WAIT).until(() -> registry.size() == 0); // none held for a resume
        List<ReferenceNode> nodes = ReferenceClusterResource.cluster().nodes();
        assertThat(nodes).allSatisfy(node -> {
            assertThat(node.received("open")).as("no session opened at the cluster").isEmpty();
            assertThat(node.received("close")).as("no session closed at the cluster").isEmpty();
            assertThat(node.received("sub")).as("the warm-up links' topic is never asked of the cluster").isEmpty();
        });
        assertThat(Scrape.value("gateway_topics", "")).isZero();

        // after the warm-up even its own secret is nothing: a link sending it meets the origin check like any other
        try (TestClient late = TestClient.connect(GatewayUrls.ws(),
                Map.of(LinkWarmup.HEADER, warmup.secret()), List.of())) {
            assertThat(late.awaitClose(WAIT)).isEqualTo(1008);
        }
        try (TestClient browser = TestClient.connect(GatewayUrls.ws(),
                Map.of("Origin", "https://app.example.com", LinkWarmup.HEADER, warmup.secret()), List.of())) {
            String session = browser.welcome().getString("session");
            await().atMost(WAIT).until(() -> nodes.stream().anyMatch(
                    node -> node.received("open").stream().anyMatch(open -> session.equals(open.getString("session")))));
            assertThat(Scrape.value("gateway_client_opens_total", "")).isEqualTo(2);
        }
    }
}
