package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;

@QuarkusTest
@TestProfile(OriginPolicyTest.OneOrigin.class)
@WithTestResource(ReferenceClusterResource.class)
class OriginPolicyTest {

    public static class OneOrigin implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.allowed-origins", "https://app.example");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aForeignOriginIsAcceptedThenClosedWith1008BeforeAnyFrame() {
        TestClient client = TestClient.connect(GatewayUrls.ws(), Map.of("Origin", "https://evil.example"), List.of());
        assertThat(client.awaitClose(WAIT)).isEqualTo(1008);
        assertThat(client.closeReason()).contains("origin");
        assertThat(client.frames()).isEmpty();
    }

    @Test
    void theAllowedOriginGetsAWelcome() {
        try (TestClient browser = TestClient.connect(GatewayUrls.ws(), Map.of("Origin", "https://app.example"),
                List.of())) {
            assertThat(browser.welcome().getString("type")).isEqualTo("welcome");
        }
    }

    @Test
    void publicHealthSendsCorsOnlyForTheAllowedOrigin() {
        RestAssured.given().header("Origin", "https://app.example").get(GatewayUrls.http("/ws/health")).then()
                .statusCode(200).header("Access-Control-Allow-Origin", "https://app.example");
        String header = RestAssured.given().header("Origin", "https://evil.example")
                .get(GatewayUrls.http("/ws/health")).then().statusCode(200).extract()
                .header("Access-Control-Allow-Origin");
        assertThat(header).isNull();
    }
}
