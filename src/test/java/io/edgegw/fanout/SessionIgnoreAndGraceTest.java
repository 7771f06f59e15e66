package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class SessionIgnoreAndGraceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static ReferenceCluster cluster() {
        return ReferenceClusterResource.cluster();
    }

    private static long nodeFrames(String type, String topic) {
        return cluster().nodes().stream().flatMap(node -> node.received(type).stream())
                .filter(frame -> topic.equals(frame.getString("topic"))).count();
    }

    private static void request(TestClient client, String type, String id, String... topics) {
        client.sendJson(new JsonObject().put("type", type).put("id", id).put("topics", List.of(topics)));
        client.awaitReply(id, WAIT);
    }

    @Test
    void aSessionIgnoreHoldsBackOnlyThatSessionsMessagesAndUnignoreResumesWithoutReplay() {
        try (TestClient quiet = TestClient.connect(GatewayUrls.ws());
                TestClient other = TestClient.connect(GatewayUrls.ws())) {
            quiet.welcome();
            other.welcome();
            request(quiet, "subscribe", "1", "room/a");
            request(other, "subscribe", "1", "room/a");
            await().atMost(WAIT).until(() -> nodeFrames("sub", "room/a") == 1);

            double ignoredBefore = Scrape.value("gateway_messages_ignored_total", "scope=\"session\"");
            request(quiet, "ignore", "2", "room/*");
            cluster().publish("room/a", "{\"n\":1}");
            cluster().publish("room/a", "{\"n\":2}");
            other.awaitCount("message", 2, WAIT);
            await().atMost(WAIT).until(
                    () -> Scrape.value("gateway_messages_ignored_total", "scope=\"session\"") == ignoredBefore + 2);
            assertThat(quiet.frames("message")).isEmpty();

            request(quiet, "unignore", "3", "room/*");
            cluster().publish("room/a", "{\"n\":3}");
            quiet.awaitCount("message", 1, WAIT);
            other.awaitCount("message", 3, WAIT);
            assertThat(quiet.frames("message")).extracting(m -> m.getJsonObject("data").getInteger("n"))
                    .containsExactly(3);
            assertThat(nodeFrames("unsub", "room/a")).isZero(); // the session stayed subscribed all along
        }
    }

    @Test
    void aPatternSubscribedAgainAfterItsUnsubStartsAfreshWithoutAGapForWhatCameMeanwhile() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            request(client, "subscribe", "1", "again/*");
            await().atMost(WAIT).until(() -> nodeFrames("sub", "again/*") == 1);
            cluster().publish("again/t", "{\"n\":1}");
            client.awaitCount("message", 1, WAIT);
            request(client, "unsubscribe", "2", "again/*");
            await().atMost(WAIT).until(() -> nodeFrames("unsub", "again/*") == 1); // after the grace period
            cluster().publish("again/t", "{\"n\":2}"); // nobody here asked for these
            cluster().publish("again/t", "{\"n\":3}");

            request(client, "subscribe", "3", "again/*");
            await().atMost(WAIT).until(() -> nodeFrames("sub", "again/*") == 2);
            cluster().publish("again/t", "{\"n\":4}");
            client.awaitCount("message", 2, WAIT);
            assertThat(client.frames("message")).extracting(m -> m.getJsonObject("data").getInteger("n"))
                    .containsExactly(1, 4);
            assertThat(client.frames("gap")).as("a gap for messages of a time it was not subscribed").isEmpty();
        }
    }

    @Test
    void aResubscribeWithinTheGracePeriodCostsNothingUpstreamAndTheUnsubFollowsAfterIt() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            request(client, "subscribe", "1", "grace/t");
            await().atMost(WAIT).until(() -> nodeFrames("sub", "grace/t") == 1);
            request(client, "unsubscribe", "2", "grace/t");
            request(client, "subscribe", "3", "grace/t"); // well within the 200 ms grace period of the test config
            cluster().publish("grace/t", "{}");
            client.awaitCount("message", 1, WAIT);
            assertThat(nodeFrames("sub", "grace/t")).isEqualTo(1);
            assertThat(nodeFrames("unsub", "grace/t")).isZero();

            request(client, "unsubscribe", "4", "grace/t");
            await().atMost(WAIT).until(() -> nodeFrames("unsub", "grace/t") == 1);
            assertThat(nodeFrames("sub", "grace/t")).isEqualTo(1);
        }
    }
}
