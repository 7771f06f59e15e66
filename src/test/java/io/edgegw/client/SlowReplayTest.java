package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ProxiedClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/**
 * A browser recovering a topic whose node is slow to replay holds the topic's live messages meanwhile; past
 * {@code gateway.client.max-outbound-bytes} of them it is closed with 4002 (what their release would do anyway)
 * instead of holding without bound, while the topic's other subscribers miss nothing; its resume recovers it all.
 */
@QuarkusTest
@WithTestResource(SlowReplayTest.NodesThatStopReading.class)
class SlowReplayTest {

    /**
     * Proxied nodes, no gateway history (a recovery goes to the node), and heartbeats and a recovery time limit longer
     * than the test: a node that stops reading is neither taken for dead nor given up on.
     */
    public static class NodesThatStopReading extends ProxiedClusterResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = super.start();
            config.put("gateway.fanout.history.size", "0");
            config.put("gateway.upstream.connect-timeout", "60s");
            config.put("gateway.upstream.heartbeat.interval", "60s");
            config.put("gateway.upstream.heartbeat.timeout", "60s");
            config.put("gateway.client.max-outbound-bytes", String.valueOf(BOUND));
            return config;
        }
    }

    private static final int BOUND = 64 * 1024;
    private static final String PADDING = "x".repeat(1000);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SLOW_CONSUMER_DROPS = "reason=\"slow_consumer\"";

    @Test
    void aRecoveryThatHoldsMoreThanTheBoundClosesWith4002AndItsResumeRecoversAll() {
        String topic = "slow-replay/ticks";
        TestClient reader = TestClient.connect(GatewayUrls.ws());
        TestClient recovering = TestClient.connect(GatewayUrls.ws());
        TestClient resumed = null;
        try {
            reader.welcome();
            reader.sendJson(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", List.of(topic)));
            assertThat(reader.awaitReply("s", WAIT).getString("type")).isEqualTo("subscribed");
            await().atMost(WAIT).until(() -> ProxiedClusterResource.cluster().nodes().stream().anyMatch(
                    node -> node.received("sub").stream().anyMatch(sub -> topic.equals(sub.getString("topic")))));
            int published = publish(topic, 0, 3);
            reader.awaitCount("message", published, WAIT);
            JsonObject first = reader.frames("message").get(0);

            // the node stops reading: the recovery's sub waits in the proxy while the topic's messages still flow
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(true));
            double dropsBefore = Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS);
            recovering.welcome();
            recovering.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(topic))
                    .put("since", new JsonObject().put(topic, new JsonObject()
                            .put("epoch", first.getString("epoch")).put("offset", first.getLong("offset")))));
            assertThat(recovering.awaitReply("r", WAIT).getString("type")).isEqualTo("subscribed");

            published = publish(topic, published, 2 * BOUND / PADDING.length());
            reader.awaitCount("message", published, WAIT);
            // long before the recovery's time limit (60 s), with the node still not reading
            assertThat(recovering.awaitClose(WAIT)).isEqualTo(4002);
            assertThat(recovering.frames("message")).as("nothing released out of order").isEmpty();
            await().atMost(WAIT).until(() -> Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS)
                    > dropsBefore);

            List<Integer> received = reader.frames("message").stream()
                    .map(message -> message.getJsonObject("data").getInteger("n")).toList();
            assertThat(received).as("every message, once, in order")
                    .isEqualTo(IntStream.range(0, published).boxed().toList());
            assertThat(reader.isClosed()).as("reader closed with %s", reader.closeCode()).isFalse();

            // the node reads again; the browser resumes and gets, once each and in order, all it asked for
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(false));
            String token = recovering.welcome().getString("resume");
            resumed = TestClient.connect(GatewayUrls.ws() + "?resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
            resumed.welcome();
            resumed.awaitCount("message", published - 1, WAIT);
            assertThat(resumed.frames("message").stream().map(message -> message.getJsonObject("data").getInteger("n"))
                    .toList()).isEqualTo(IntStream.range(1, published).boxed().toList());
            assertThat(resumed.frames("gap")).isEmpty();
        } finally {
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(false));
            reader.close();
            recovering.close();
            if (resumed != null) {
                resumed.close();
            }
        }
    }

    @Test
    void unsubscribingARecoveringTopicStillCoveredByAPatternDeliversWhatWasHeld() {
        String pattern = "slow-covered/*";
        String topic = "slow-covered/x";
        TestClient browser = TestClient.connect(GatewayUrls.ws());
        TestClient watcher = TestClient.connect(GatewayUrls.ws());
        try {
            for (TestClient client : List.of(browser, watcher)) {
                client.welcome();
                client.sendJson(new JsonObject().put("type", "subscribe").put("id", "p").put("topics", List.of(pattern)));
                assertThat(client.awaitReply("p", WAIT).getString("type")).isEqualTo("subscribed");
            }
            await().atMost(WAIT).until(() -> ProxiedClusterResource.cluster().nodes().stream().anyMatch(
                    node -> node.received("sub").stream().anyMatch(sub -> pattern.equals(sub.getString("topic")))));
            int published = publish(topic, 0, 2);
            browser.awaitCount("message", published, WAIT);
            JsonObject first = browser.frames("message").get(0);

            // the exact topic, recovered from the first message: its replay waits in the proxy, and what comes live
            // meanwhile (through the pattern's sub) is held for the session
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(true));
            browser.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(topic))
                    .put("since", new JsonObject().put(topic, new JsonObject()
                            .put("epoch", first.getString("epoch")).put("offset", first.getLong("offset")))));
            assertThat(browser.awaitReply("r", WAIT).getString("type")).isEqualTo("subscribed");
            published = publish(topic, published, 3);
            watcher.awaitCount("message", published, WAIT); // fanned out by now

            browser.sendJson(new JsonObject().put("type", "unsubscribe").put("id", "u").put("topics", List.of(topic)));
            assertThat(browser.awaitReply("u", WAIT).getString("type")).isEqualTo("unsubscribed");
            browser.awaitCount("message", published, WAIT);
            assertThat(browser.frames("message").stream().map(message -> message.getJsonObject("data").getInteger("n"))
                    .toList()).as("what the pattern owed, once each, in order")
                    .isEqualTo(IntStream.range(0, published).boxed().toList());
            assertThat(browser.frames("gap")).isEmpty();
        } finally {
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(false));
            browser.close();
            watcher.close();
        }
    }

    private static int publish(String topic, int published, int count) {
        for (int i = 0; i < count; i++, published++) {
            ProxiedClusterResource.cluster().publish(topic, "{\"n\":" + published + ",\"pad\":\"" + PADDING + "\"}");
        }
        return published;
    }
}
