package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** At {@code gateway.client.max-sessions} open links, one more is closed at once with 1013; a freed place is taken. */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(SessionCapacityTest.TwoSessions.class)
class SessionCapacityTest {

    public static class TwoSessions implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.client.max-sessions", "2");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void oneLinkTooManyIsRefusedWith1013UntilAPlaceIsFree() {
        try (TestClient first = TestClient.connect(GatewayUrls.ws());
                TestClient second = TestClient.connect(GatewayUrls.ws())) {
            first.welcome();
            second.welcome();

            try (TestClient third = TestClient.connect(GatewayUrls.ws())) {
                assertThat(third.awaitClose(WAIT)).isEqualTo(1013);
                assertThat(third.closeReason()).isEqualTo("at capacity");
                assertThat(third.frames()).as("no welcome before the refusal").isEmpty();
            }
            assertThat(second.isClosed()).isFalse();

            first.close();
            await().atMost(WAIT).until(() -> {
                try (TestClient next = TestClient.connect(GatewayUrls.ws())) {
                    next.welcome();
                    return true;
                } catch (AssertionError closedFirst) {
                    return false; // the first link's close had not been counted yet
                }
            });
        }
    }
}
