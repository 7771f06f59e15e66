package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * {@code gateway.client.max-outbound-bytes} of them only the ranges they span are kept, and the replay still brings
 * the browser everything once, in order, while the topic's other subscribers miss nothing.
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

    @Test
    void aRecoveryThatHoldsMoreThanTheBoundKeepsRangesAndItsReplayStillBringsEverything() {
        String topic = "slow-replay/ticks";
        TestClient reader = TestClient.connect(GatewayUrls.ws());
        TestClient recovering = TestClient.connect(GatewayUrls.ws());
        try {
            reader.welcome();
            reader.sendJson(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", List.of(topic)));
            assertThat(reader.awaitReply("s", WAIT).getString("type")).isEqualTo("subscribed");
            awaitNodeSubscription(topic);
            int published = publish(topic, 0, 3);
            reader.awaitCount("message", published, WAIT);
            JsonObject first = reader.frames("message").get(0);

            // the node stops reading: the recovery's sub waits in the proxy while the topic's messages still flow
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(true));
            recovering.welcome();
            subscribeAfter(recovering, first);

            double deliveredBefore = Scrape.value("gateway_messages_delivered_total", "");
            int heldFrom = published;
            while (published - heldFrom < 2 * BOUND / PADDING.length()) { // twice the bound, in bursts a drain takes
                published = publish(topic, published, 16);
                reader.awaitCount("message", published, WAIT);
            }
            int held = published - heldFrom;
            // handed to both sessions: held for the recovering one, past its bound as the ranges they span
            await().atMost(WAIT).until(() -> Scrape.value("gateway_messages_delivered_total", "")
                    >= deliveredBefore + 2 * held);
            assertThat(recovering.frames("message")).as("nothing released before the replay").isEmpty();

            // the node reads again and replays: everything after the browser's position, once each, in order
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(false));
            published = publish(topic, published, 1); // a last one, behind all the rest
            recovering.awaitCount("message", published - 1, WAIT);
            assertThat(recovering.frames("message").stream()
                    .map(message -> message.getJsonObject("data").getInteger("n")).toList())
                    .isEqualTo(IntStream.range(1, published).boxed().toList());
            assertThat(recovering.frames("gap")).isEmpty();
            assertThat(recovering.isClosed()).as("closed with %s", recovering.closeCode()).isFalse();
            assertThat(reader.frames("message").stream().map(message -> message.getJsonObject("data").getInteger("n"))
                    .toList()).as("the other subscriber: every message, once, in order")
                    .isEqualTo(IntStream.range(0, published).boxed().toList());
        } finally {
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(false));
            reader.close();
            recovering.close();
        }
    }

    @Test
    void unsubscribingARecoveringTopicStillCoveredByAPatternDeliversWhatWasHeld() {
        List<JsonObject> frames = unsubscribedWhileRecovering("slow-covered", 3, false);
        assertThat(numbers(frames, "message")).as("what the pattern owed, once each, in order")
                .containsExactly(0, 1, 2, 3, 4, 5, -1);
        assertThat(frames).noneMatch(frame -> "gap".equals(frame.getString("type")));
    }

    @Test
    void whatWasHeldPastTheBoundIsAGapWhenTheRecoveryIsCalledOff() {
        int held = 2 * BOUND / PADDING.length();
        double droppedBefore = Scrape.value("gateway_messages_dropped_total", "reason=\"recovery_overflow\"");
        List<JsonObject> frames = unsubscribedWhileRecovering("slow-past-bound", held, false);
        // the held ones, 2..held+1, as one range (those held since the last compaction still as messages)
        List<Integer> messages = numbers(frames, "message");
        assertThat(messages).startsWith(0, 1).endsWith(held + 2, -1);
        List<Integer> stillMessages = messages.subList(2, messages.size() - 2);
        assertThat(stillMessages).hasSizeLessThan(held / 2)
                .isEqualTo(IntStream.rangeClosed(held + 2 - stillMessages.size(), held + 1).boxed().toList());
        List<JsonObject> gaps = frames.stream().filter(frame -> "gap".equals(frame.getString("type"))).toList();
        assertThat(gaps).hasSize(1);
        assertThat(gaps.get(0).getLong("to") - gaps.get(0).getLong("from") + 1).isEqualTo(held - stillMessages.size());
        assertThat(frames.indexOf(gaps.get(0))).as("in its place").isEqualTo(2);
        assertThat(Scrape.value("gateway_messages_dropped_total", "reason=\"recovery_overflow\""))
                .as("each message of the range counted as dropped").isEqualTo(droppedBefore + held - stillMessages.size());
    }

    @Test
    void whatWasHeldForATopicIgnoredSinceIsNotDeliveredWhenTheRecoveryIsCalledOff() {
        List<JsonObject> frames = unsubscribedWhileRecovering("slow-ignored", 3, true);
        assertThat(numbers(frames, "message")).as("the two before the ignore, then the other topic's")
                .containsExactly(0, 1, -1);
        assertThat(frames).noneMatch(frame -> "gap".equals(frame.getString("type")));
    }

    /**
     * A browser on a pattern gets two messages of one of its topics, then subscribes to that topic with {@code since}
     * the first while the node does not read: {@code held} messages are held for the recovery, then the browser
     * ignores the topic (when {@code ignoreFirst}) and unsubscribes from it (the pattern still covers it), and one
     * more message of it is published, then one numbered -1 of another topic of the pattern. Returns the browser's
     * message and gap frames once that last one came.
     */
    private static List<JsonObject> unsubscribedWhileRecovering(String prefix, int held, boolean ignoreFirst) {
        String pattern = prefix + "/*";
        String topic = prefix + "/x";
        TestClient browser = TestClient.connect(GatewayUrls.ws());
        TestClient watcher = TestClient.connect(GatewayUrls.ws());
        try {
            for (TestClient client : List.of(browser, watcher)) {
                client.welcome();
                client.sendJson(new JsonObject().put("type", "subscribe").put("id", "p").put("topics", List.of(pattern)));
                assertThat(client.awaitReply("p", WAIT).getString("type")).isEqualTo("subscribed");
            }
            awaitNodeSubscription(pattern);
            int published = publish(topic, 0, 2);
            browser.awaitCount("message", published, WAIT);
            JsonObject first = browser.frames("message").get(0);

            // the exact topic, recovered from the first message: its replay waits in the proxy, and what comes live
            // meanwhile (through the pattern's sub) is held for the session
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(true));
            subscribeAfter(browser, first);
            double deliveredBefore = Scrape.value("gateway_messages_delivered_total", "");
            int heldFrom = published;
            while (published - heldFrom < held) { // in bursts a drain takes
                published = publish(topic, published, Math.min(16, held - (published - heldFrom)));
                watcher.awaitCount("message", published, WAIT);
            }
            // handed to both sessions: held for the recovering one
            await().atMost(WAIT).until(() -> Scrape.value("gateway_messages_delivered_total", "")
                    >= deliveredBefore + 2 * held);
            assertThat(browser.frames("message")).hasSize(2);

            if (ignoreFirst) {
                browser.sendJson(new JsonObject().put("type", "ignore").put("id", "i").put("topics", List.of(topic)));
                assertThat(browser.awaitReply("i", WAIT).getString("type")).isEqualTo("ignored");
            }
            browser.sendJson(new JsonObject().put("type", "unsubscribe").put("id", "u").put("topics", List.of(topic)));
            assertThat(browser.awaitReply("u", WAIT).getString("type")).isEqualTo("unsubscribed");
            publish(topic, published, 1); // through the pattern, behind all the rest
            ProxiedClusterResource.cluster().publish(prefix + "/other", "{\"n\":-1}"); // and behind that one
            await().atMost(WAIT).until(() -> numbers(browser.frames(), "message").contains(-1));
            return browser.frames().stream()
                    .filter(frame -> "message".equals(frame.getString("type")) || "gap".equals(frame.getString("type")))
                    .toList();
        } finally {
            ProxiedClusterResource.proxies().forEach(proxy -> proxy.holdClientBytes(false));
            browser.close();
            watcher.close();
        }
    }

    private static List<Integer> numbers(List<JsonObject> frames, String type) {
        return frames.stream().filter(frame -> type.equals(frame.getString("type")))
                .map(message -> message.getJsonObject("data").getInteger("n")).toList();
    }

    /** Subscribes {@code client} to the topic of {@code message} with {@code since} its position. */
    private static void subscribeAfter(TestClient client, JsonObject message) {
        String topic = message.getString("topic");
        client.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(topic))
                .put("since", new JsonObject().put(topic, new JsonObject()
                        .put("epoch", message.getString("epoch")).put("offset", message.getLong("offset")))));
        assertThat(client.awaitReply("r", WAIT).getString("type")).isEqualTo("subscribed");
    }

    private static void awaitNodeSubscription(String topicOrPattern) {
        await().atMost(WAIT).until(() -> ProxiedClusterResource.cluster().nodes().stream().anyMatch(
                node -> node.received("sub").stream().anyMatch(sub -> topicOrPattern.equals(sub.getString("topic")))));
    }

    private static int publish(String topic, int published, int count) {
        for (int i = 0; i < count; i++, published++) {
            ProxiedClusterResource.cluster().publish(topic, "{\"n\":" + published + ",\"pad\":\"" + PADDING + "\"}");
        }
        return published;
    }
}
