package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

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
 * Readiness waits for the warm-up at most {@code gateway.warmup.max-duration}: a warm-up far too long for it is cut
 * there, readiness turns UP, and browsers are served meanwhile and after; the links it cut never pass for browsers.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(LinkWarmupDeadlineTest.EndlessWarmup.class)
class LinkWarmupDeadlineTest {

    public static class EndlessWarmup implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.warmup.links", "100000000", "gateway.warmup.max-duration", "15s");
        }
    }

    @Inject
    SessionRegistry registry;

    @Test
    void readinessWaitsForTheWarmupOnlyUntilItsMaxDuration() {
        JsonPath during = RestAssured.get(GatewayUrls.management("/q/health/ready")).then().statusCode(503).extract()
                .jsonPath();
        assertThat(during.getString("checks.find { it.name == 'warm-up' }.status")).isEqualTo("DOWN");
        try (TestClient browser = TestClient.connect(GatewayUrls.ws())) {
            assertThat(browser.welcome().getString("session")).as("served while the warm-up runs").isNotEmpty();
        }

        await().atMost(Duration.ofSeconds(60))
                .until(() -> RestAssured.get(GatewayUrls.management("/q/health/ready")).statusCode() == 200);
        JsonPath after = RestAssured.get(GatewayUrls.management("/q/health/ready")).then().extract().jsonPath();
        assertThat(after.getInt("checks.find { it.name == 'warm-up' }.data.links")).isPositive()
                .isLessThan(100_000_000);
        try (TestClient browser = TestClient.connect(GatewayUrls.ws())) {
            assertThat(browser.welcome().getString("session")).isNotEmpty();
        }
        // the links the cut closed without a close frame are not held for a resume that will never come
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.size() == 0);
        // links still connecting at the cut (up to 256) are refused as warm-up links, never taken for browsers
        assertThat(Scrape.value("gateway_client_opens_total", "")).as("the two browsers only").isEqualTo(2);
        assertThat(ReferenceClusterResource.cluster().nodes().stream().mapToInt(node -> node.received("open").size())
                .sum()).as("only the browsers' sessions reach the cluster").isLessThanOrEqualTo(2);
    }
}
