package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import io.vertx.core.json.JsonObject;

/**
 * The slow-consumer bound counts bytes written and not yet taken by the socket: a browser that reads keeps getting
 * its messages however much more than the bound they add up to, because each write that completes gives its bytes
 * back.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(OutboundAccountingTest.SmallOutboundBound.class)
class OutboundAccountingTest {

    public static class SmallOutboundBound implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.client.max-outbound-bytes", "16384");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aReadingBrowserGetsFarMoreThanTheBoundWithoutBeingClosed() {
        String topic = "accounting/ticks";
        TestClient browser = TestClient.connect(GatewayUrls.ws());
        try {
            browser.welcome();
            browser.sendJson(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", List.of(topic)));
            assertThat(browser.awaitReply("s", WAIT).getString("type")).isEqualTo("subscribed");
            await().atMost(WAIT).until(() -> ReferenceClusterResource.cluster().nodes().stream().anyMatch(
                    node -> node.received("sub").stream().anyMatch(sub -> topic.equals(sub.getString("topic")))));

            String padding = "x".repeat(400);
            for (int i = 0; i < 400; i++) { // about 180 KB, eleven times the bound, in small bursts
                ReferenceClusterResource.cluster().publish(topic, "{\"n\":" + i + ",\"pad\":\"" + padding + "\"}");
                if (i % 20 == 19) {
                    int expected = i + 1;
                    browser.awaitCount("message", expected, WAIT);
                }
            }
            browser.awaitCount("message", 400, WAIT);
            assertThat(browser.isClosed()).as("closed with %s", browser.closeCode()).isFalse();
        } finally {
            browser.close();
        }
    }
}
