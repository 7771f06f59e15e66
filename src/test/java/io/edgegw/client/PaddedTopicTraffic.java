package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.vertx.core.json.JsonObject;

/**
 * Numbered topic messages of about 4 KB published through the reference cluster, in bursts that stay under a drain's
 * 32 KiB: the traffic of the tests of the outbound bounds, which need many bytes and their order.
 */
final class PaddedTopicTraffic {

    static final int BURST = 7;
    static final String PADDING = "x".repeat(4000);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private PaddedTopicTraffic() {
    }

    /** Publishes {@link #BURST} messages numbered on from {@code published}; returns the new count. */
    static int publishBurst(String topic, int published) {
        for (int i = 0; i < BURST; i++, published++) {
            ReferenceClusterResource.cluster().publish(topic, "{\"n\":" + published + ",\"pad\":\"" + PADDING + "\"}");
        }
        return published;
    }

    /** Takes the welcome and subscribes to {@code topic}. */
    static void subscribe(TestClient browser, String topic) {
        browser.welcome();
        browser.sendJson(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", List.of(topic)));
        assertThat(browser.awaitReply("s", WAIT).getString("type")).isEqualTo("subscribed");
    }

    /** Waits until a node has the gateway's {@code sub} for {@code topic}, so that what is published reaches it. */
    static void awaitNodeSubscription(String topic) {
        await().atMost(WAIT).until(() -> ReferenceClusterResource.cluster().nodes().stream().anyMatch(
                node -> node.received("sub").stream().anyMatch(sub -> topic.equals(sub.getString("topic")))));
    }
}
