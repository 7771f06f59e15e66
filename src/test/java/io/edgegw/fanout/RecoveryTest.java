package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.demo.SharedLog;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** {@code subscribe} with {@code since}: from the gateway's history, else the node's, else a gap. */
@QuarkusTest
@TestProfile(RecoveryTest.SmallHistory.class)
@WithTestResource(ReferenceClusterResource.class)
class RecoveryTest {

    public static class SmallHistory implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.fanout.history.size", "5");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static ReferenceCluster cluster() {
        return ReferenceClusterResource.cluster();
    }

    private static long sinceSubs(String topic) {
        return cluster().nodes().stream().flatMap(node -> node.received("sub").stream())
                .filter(frame -> topic.equals(frame.getString("topic")) && frame.containsKey("since")).count();
    }

    /** A first subscriber that keeps the topic subscribed in the gateway and sees every message. */
    private static TestClient watcher(String topic, int expected, Runnable publish) {
        TestClient watcher = TestClient.connect(GatewayUrls.ws());
        watcher.welcome();
        watcher.sendJson(new JsonObject().put("type", "subscribe").put("id", "w").put("topics", List.of(topic)));
        watcher.awaitReply("w", WAIT);
        await().atMost(WAIT).until(() -> cluster().nodes().stream().flatMap(n -> n.received("sub").stream())
                .anyMatch(frame -> topic.equals(frame.getString("topic"))));
        publish.run();
        watcher.awaitCount("message", expected, WAIT);
        return watcher;
    }

    private static TestClient subscribeSince(String topic, String epoch, long offset) {
        TestClient client = TestClient.connect(GatewayUrls.ws());
        client.welcome();
        client.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(topic))
                .put("since", new JsonObject().put(topic, new JsonObject().put("epoch", epoch).put("offset", offset))));
        assertThat(client.awaitReply("r", WAIT).getString("type")).isEqualTo("subscribed");
        return client;
    }

    private static List<Long> offsets(TestClient client) {
        return client.frames("message").stream().map(m -> m.getLong("offset")).toList();
    }

    private static void publish(String topic, int count) {
        for (int i = 0; i < count; i++) {
            cluster().publish(topic, "{\"i\":" + i + "}");
        }
    }

    @Test
    void recoversFromTheGatewaysOwnHistoryWithoutAskingTheNode() {
        String topic = "rec/gateway";
        try (TestClient watcher = watcher(topic, 4, () -> publish(topic, 4))) {
            JsonObject first = watcher.frames("message").get(0);
            double deliveredBefore = settledDelivered();
            try (TestClient client = subscribeSince(topic, first.getString("epoch"), first.getLong("offset"))) {
                client.awaitCount("message", 3, WAIT);
                cluster().publish(topic, "{\"live\":true}");
                client.awaitCount("message", 4, WAIT);
                watcher.awaitCount("message", 5, WAIT);
                long base = first.getLong("offset");
                assertThat(offsets(client)).containsExactly(base + 1, base + 2, base + 3, base + 4);
                assertThat(client.frames().get(1).getString("type")).isEqualTo("subscribed");
                assertThat(sinceSubs(topic)).isZero();
                // the replay counts as delivered too: 3 replayed, and the live one to both
                await().atMost(WAIT).until(() -> delivered() == deliveredBefore + 5);
            }
        }
    }

    @Test
    void recoversFromTheNodeWhenTheGatewaysHistoryIsTooShort() {
        String topic = "rec/node";
        try (TestClient watcher = watcher(topic, 20, () -> publish(topic, 20))) {
            JsonObject second = watcher.frames("message").get(1);
            try (TestClient client = subscribeSince(topic, second.getString("epoch"), second.getLong("offset"))) {
                client.awaitCount("message", 18, WAIT);
                cluster().publish(topic, "{\"live\":true}");
                client.awaitCount("message", 19, WAIT);
                long base = second.getLong("offset");
                List<Long> expected = new java.util.ArrayList<>();
                for (long o = base + 1; o <= base + 19; o++) {
                    expected.add(o);
                }
                assertThat(offsets(client)).containsExactlyElementsOf(expected);
                assertThat(sinceSubs(topic)).isEqualTo(1);
                assertThat(client.frames("gap")).isEmpty();
            }
            // the watcher saw no repeat of the replay the node sent for the other browser
            watcher.awaitCount("message", 21, WAIT);
            assertThat(offsets(watcher)).doesNotHaveDuplicates().isSorted();
        }
    }

    /** The cluster loses a topic's history while it is subscribed: a reset gap before the new epoch's messages. */
    @Test
    void aNewEpochWhileSubscribedReachesTheBrowserAfterAResetGap() {
        String topic = "rec/reset";
        try (TestClient watcher = watcher(topic, 2, () -> publish(topic, 2))) {
            String oldEpoch = watcher.frames("message").get(0).getString("epoch");
            cluster().log().resetEpoch(topic);
            cluster().publish(topic, "{\"after\":true}");
            watcher.awaitCount("message", 3, WAIT);

            List<JsonObject> frames = watcher.frames().stream()
                    .filter(frame -> List.of("message", "gap").contains(frame.getString("type"))).toList();
            assertThat(frames).extracting(frame -> frame.getString("type"))
                    .containsExactly("message", "message", "gap", "message");
            JsonObject reset = frames.get(2);
            String newEpoch = frames.get(3).getString("epoch");
            assertThat(newEpoch).isNotEqualTo(oldEpoch);
            assertThat(reset.getString("epoch")).isEqualTo(newEpoch);
            assertThat(reset.getBoolean("reset")).isTrue();
            assertThat(frames.get(3).getLong("offset")).isEqualTo(1);
        }
    }

    /** A replay (here from the gateway's history) holds back what the session ignores, as live delivery does. */
    @Test
    void aReplayLeavesOutWhatTheSessionIgnores() {
        String topic = "rec/ignored";
        try (TestClient watcher = watcher(topic, 4, () -> publish(topic, 4))) {
            JsonObject first = watcher.frames("message").get(0);
            try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
                client.welcome();
                client.sendJson(new JsonObject().put("type", "ignore").put("id", "i").put("topics", List.of(topic)));
                assertThat(client.awaitReply("i", WAIT).getString("type")).isEqualTo("ignored");
                double ignoredBefore = ignoredBySessions();

                client.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(topic))
                        .put("since", new JsonObject().put(topic, new JsonObject()
                                .put("epoch", first.getString("epoch")).put("offset", first.getLong("offset")))));
                assertThat(client.awaitReply("r", WAIT).getString("type")).isEqualTo("subscribed");
                await().atMost(WAIT).until(() -> ignoredBySessions() == ignoredBefore + 3);
                cluster().publish(topic, "{\"live\":true}");
                watcher.awaitCount("message", 5, WAIT);
                await().atMost(WAIT).until(() -> ignoredBySessions() == ignoredBefore + 4);

                assertThat(client.frames("message")).isEmpty();
            }
        }
    }

    /** The count once what was drained before is in it: a drain counts its messages only after writing them. */
    private static double settledDelivered() {
        AtomicReference<Double> last = new AtomicReference<>(-1.0);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
                .until(() -> last.getAndSet(delivered()).doubleValue() == last.get().doubleValue());
        return last.get();
    }

    private static double delivered() {
        return Scrape.value("gateway_messages_delivered_total", "");
    }

    private static double ignoredBySessions() {
        return Scrape.value("gateway_messages_ignored_total", "scope=\"session\"");
    }

    @Test
    void sendsAGapWhenNeitherHistoryCoversTheRange() {
        String topic = "rec/gap";
        try (TestClient watcher = watcher(topic, 20, () -> publish(topic, 20))) {
            SharedLog log = cluster().log();
            log.trimHistory(topic, 3);
            JsonObject first = watcher.frames("message").get(0);
            long base = first.getLong("offset");
            double deliveredBefore = settledDelivered();
            try (TestClient client = subscribeSince(topic, first.getString("epoch"), base)) {
                JsonObject gap = client.await("gap", WAIT);
                assertThat(gap.getString("topic")).isEqualTo(topic);
                assertThat(gap.getLong("from")).isEqualTo(base + 1);
                assertThat(gap.getLong("to")).isEqualTo(base + 19);
                cluster().publish(topic, "{\"live\":true}");
                client.awaitCount("message", 1, WAIT);
                watcher.awaitCount("message", 21, WAIT);
                assertThat(offsets(client)).containsExactly(base + 20);
                // a gap is no message delivered: only the live one, to both
                await().atMost(WAIT).until(() -> delivered() == deliveredBefore + 2);
            }
        }
    }

    @Test
    void anotherEpochGetsAResetGap() {
        String topic = "rec/epoch";
        try (TestClient watcher = watcher(topic, 2, () -> publish(topic, 2))) {
            JsonObject first = watcher.frames("message").get(0);
            try (TestClient client = subscribeSince(topic, "some-old-epoch", 1)) {
                JsonObject gap = client.await("gap", WAIT);
                assertThat(gap.getBoolean("reset")).isTrue();
                assertThat(gap.getString("epoch")).isEqualTo(first.getString("epoch"));
            }
        }
    }

    @Test
    void sinceMustNameAnExactTopicOfTheRequest() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            client.send("{\"type\":\"subscribe\",\"id\":\"x\",\"topics\":[\"a/*\"],"
                    + "\"since\":{\"a/*\":{\"epoch\":\"e\",\"offset\":1}}}");
            assertThat(client.awaitReply("x", WAIT).getString("code")).isEqualTo("bad_request");
            client.send("{\"type\":\"subscribe\",\"id\":\"y\",\"topics\":[\"a/b\"],"
                    + "\"since\":{\"a/b\":{\"epoch\":\"e\",\"offset\":\"one\"}}}");
            assertThat(client.awaitReply("y", WAIT).getString("code")).isEqualTo("bad_request");
        }
    }
}
