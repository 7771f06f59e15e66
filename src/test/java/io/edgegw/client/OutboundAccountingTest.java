package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static io.edgegw.client.PaddedTopicTraffic.PADDING;
import static io.edgegw.client.PaddedTopicTraffic.awaitNodeSubscription;
import static io.edgegw.client.PaddedTopicTraffic.publishBurst;
import static io.edgegw.client.PaddedTopicTraffic.subscribe;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TcpProxy;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/**
 * The slow-consumer bound counts bytes written and not yet taken by the socket: a browser that reads keeps getting
 * its messages however much more than the bound they add up to, because each write that completes gives its bytes
 * back; a browser that stops reading is closed with 4002 once its socket buffers are full and the bound is passed,
 * and its link is cut by the idle timeout if it never reads again, even while it sends, while the others on its topic
 * miss nothing.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(OutboundAccountingTest.SmallOutboundBound.class)
class OutboundAccountingTest {

    public static class SmallOutboundBound implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // a short idle timeout, so that a link that never reads again is cut within the test
            return Map.of("gateway.client.max-outbound-bytes", String.valueOf(BOUND), "quarkus.http.idle-timeout", "10s");
        }
    }

    /** Far above one frame (a drain writes at most about 32 KiB), far below a stalled link's socket buffers. */
    static final int BOUND = 256 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SLOW_CONSUMER_CLOSES = "code=\"4002\"";
    private static final String SLOW_CONSUMER_DROPS = "reason=\"slow_consumer\"";
    private static final JsonObject PING = new JsonObject().put("type", "ping");

    @Test
    void aReadingBrowserGetsFarMoreThanTheBoundWithoutBeingClosed() {
        String topic = "accounting/ticks";
        TestClient browser = TestClient.connect(GatewayUrls.ws());
        try {
            subscribe(browser, topic);
            awaitNodeSubscription(topic);

            int published = 0;
            while (published < 11L * BOUND / PADDING.length()) { // eleven times the bound, in small bursts
                published = publishBurst(topic, published);
                browser.awaitCount("message", published, WAIT);
            }
            assertThat(browser.isClosed()).as("closed with %s", browser.closeCode()).isFalse();
        } finally {
            browser.close();
        }
    }

    @Test
    void browsersThatStopReadingAreClosedWith4002AndCutIfTheyNeverReadAgainWhileTheOthersMissNothing() {
        String topic = "accounting/stalled";
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient wakesUp = TestClient.connectThrough(proxy, GatewayUrls.ws());
            TestClient neverReads = TestClient.connectThrough(proxy, GatewayUrls.ws());
            TestClient reader = TestClient.connect(GatewayUrls.ws());
            try {
                for (TestClient browser : List.of(wakesUp, neverReads, reader)) {
                    subscribe(browser, topic);
                }
                awaitNodeSubscription(topic);
                double closesBefore = Scrape.value("gateway_client_closes_total", SLOW_CONSUMER_CLOSES);
                double dropsBefore = Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS);

                // its tab froze: nothing it is sent is read any more; it wakes up once closed as a slow consumer
                proxy.stall(wakesUp.localAddress(), true);
                int published = publishUntilDropped(topic, 0, dropsBefore, reader);
                proxy.stall(wakesUp.localAddress(), false);
                // it gets what was written, then the close frame that waited behind it
                assertThat(wakesUp.awaitClose(WAIT)).isEqualTo(4002);
                await().atMost(WAIT).until(() -> Scrape.value("gateway_client_closes_total", SLOW_CONSUMER_CLOSES)
                        == closesBefore + 1);

                // this one never reads again but keeps sending: its close frame cannot be written, and what it sends
                // does not keep its link alive, since no write to it completes
                double closedBefore = allCloses();
                double slowClosesBefore = Scrape.value("gateway_client_closes_total", SLOW_CONSUMER_CLOSES);
                double dropsNow = Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS);
                proxy.stall(neverReads.localAddress(), true);
                published = publishUntilDropped(topic, published, dropsNow, reader);
                await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                    reader.sendJson(PING); // the reader gets its pongs: it is not idle
                    if (!neverReads.isClosed()) {
                        sendUnlessCut(neverReads, PING);
                    }
                    return allCloses() > closedBefore;
                });
                if (!neverReads.isClosed()) { // else the proxy already found the link cut when it relayed a ping
                    try {
                        proxy.stall(neverReads.localAddress(), false);
                    } catch (IllegalStateException justEnded) {
                        // the proxy found it cut meanwhile
                    }
                }
                assertThat(neverReads.awaitClose(WAIT)).as("a link cut without a close frame").isEqualTo(1006);
                // counted under the gateway's own 4002, though no close frame ever came back from it
                assertThat(Scrape.value("gateway_client_closes_total", SLOW_CONSUMER_CLOSES))
                        .isEqualTo(slowClosesBefore + 1);

                for (int i = 0; i < 20; i++, published++) {
                    ReferenceClusterResource.cluster().publish(topic, "{\"n\":" + published + "}");
                }
                reader.awaitCount("message", published, WAIT);
                List<Integer> received = reader.frames("message").stream()
                        .map(message -> message.getJsonObject("data").getInteger("n")).toList();
                assertThat(received).as("every message, once, in order")
                        .isEqualTo(IntStream.range(0, published).boxed().toList());
                assertThat(reader.isClosed()).as("reader closed with %s", reader.closeCode()).isFalse();
            } finally {
                reader.close();
                wakesUp.close();
                neverReads.close();
            }
        }
    }

    @Test
    void aReplayLargerThanTheBoundReachesABrowserThatReads() {
        String topic = "accounting/replayed";
        TestClient first = TestClient.connect(GatewayUrls.ws());
        TestClient late = TestClient.connect(GatewayUrls.ws());
        try {
            subscribe(first, topic);
            awaitNodeSubscription(topic);
            int published = 0;
            while ((long) published * PADDING.length() <= BOUND) { // within the history the gateway keeps (100)
                published = publishBurst(topic, published);
                first.awaitCount("message", published, WAIT);
            }
            JsonObject oldest = first.frames("message").get(0);
            late.welcome();
            late.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(topic))
                    .put("since", new JsonObject().put(topic, new JsonObject().put("epoch", oldest.getString("epoch"))
                            .put("offset", oldest.getLong("offset") - 1))));
            assertThat(late.awaitReply("r", WAIT).getString("type")).isEqualTo("subscribed");
            // one recovery answer, written as one frame larger than the bound to a socket with nothing pending
            late.awaitCount("message", published, WAIT);
            assertThat(late.isClosed()).as("closed with %s", late.closeCode()).isFalse();
            assertThat(late.frames("gap")).isEmpty();
        } finally {
            first.close();
            late.close();
        }
    }

    @Test
    void aReplayLargerThanTheBoundGoesOutWhileALittleIsStillPending() {
        String flowing = "accounting/pending";
        String replayed = "accounting/replayed-later";
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient browser = TestClient.connectThrough(proxy, GatewayUrls.ws());
            TestClient first = TestClient.connect(GatewayUrls.ws());
            try {
                subscribe(browser, flowing);
                subscribe(first, replayed);
                awaitNodeSubscription(flowing);
                awaitNodeSubscription(replayed);
                int replayable = 0;
                while ((long) replayable * PADDING.length() <= BOUND) { // within the history the gateway keeps (100)
                    replayable = publishBurst(replayed, replayable);
                    first.awaitCount("message", replayable, WAIT);
                }
                JsonObject oldest = first.frames("message").get(0);

                // the browser's socket buffers fill until a little of what it is sent stays pending in the gateway
                proxy.stall(browser.localAddress(), true);
                int flowed = 0;
                while (Scrape.value("gateway_outbound_bytes", "") == 0) {
                    assertThat(flowed).as("messages of 4 KB published before some stayed pending").isLessThan(6_000);
                    flowed = publishBurst(flowing, flowed);
                }
                assertThat(Scrape.value("gateway_outbound_bytes", "")).isLessThan(BOUND);
                browser.sendJson(new JsonObject().put("type", "subscribe").put("id", "r").put("topics", List.of(replayed))
                        .put("since", new JsonObject().put(replayed, new JsonObject()
                                .put("epoch", oldest.getString("epoch")).put("offset", oldest.getLong("offset") - 1))));
                // the replay, one frame larger than the bound, is written behind what is pending
                await().atMost(WAIT).until(() -> Scrape.value("gateway_outbound_bytes", "") > BOUND);
                // live messages follow it while the socket has not taken it: written behind it (or refused)
                double pendingWithReplay = Scrape.value("gateway_outbound_bytes", "");
                double dropsBefore = Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS);
                flowed = publishBurst(flowing, flowed);
                await().atMost(WAIT).until(() -> Scrape.value("gateway_outbound_bytes", "") > pendingWithReplay
                        || Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS) > dropsBefore);
                proxy.stall(browser.localAddress(), false);

                int flowedAll = flowed;
                int replayedAll = replayable;
                await().atMost(WAIT).until(() -> ofTopic(browser, flowing).size() == flowedAll
                        && ofTopic(browser, replayed).size() == replayedAll);
                assertThat(browser.isClosed()).as("closed with %s", browser.closeCode()).isFalse();
                assertThat(browser.frames("gap")).isEmpty();
            } finally {
                browser.close();
                first.close();
            }
        }
    }

    @Test
    void aSlowConsumerThatResumesWithoutSinceGetsWhatWasRefusedToIt() {
        String topic = "accounting/resumed";
        String quiet = "accounting/quiet"; // nothing of it waits in the refused frames: it comes after the 4002
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient slow = TestClient.connectThrough(proxy, GatewayUrls.ws());
            TestClient reader = TestClient.connect(GatewayUrls.ws());
            TestClient resumed = null;
            try {
                subscribe(slow, topic);
                slow.sendJson(new JsonObject().put("type", "subscribe").put("id", "q").put("topics", List.of(quiet)));
                assertThat(slow.awaitReply("q", WAIT).getString("type")).isEqualTo("subscribed");
                subscribe(reader, topic);
                reader.sendJson(new JsonObject().put("type", "subscribe").put("id", "q").put("topics", List.of(quiet)));
                assertThat(reader.awaitReply("q", WAIT).getString("type")).isEqualTo("subscribed");
                awaitNodeSubscription(topic);
                awaitNodeSubscription(quiet);
                double dropsBefore = Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS);
                proxy.stall(slow.localAddress(), true);
                int published = publishUntilDropped(topic, 0, dropsBefore, reader);
                String session = slow.welcome().getString("session");
                for (int i = 0; i < 3; i++) { // for a link closing as a slow consumer: held for its resume
                    boolean directed = false;
                    for (ReferenceNode node : ReferenceClusterResource.cluster().nodes()) {
                        directed |= node.direct(session, "while.closing", "{\"d\":" + i + "}");
                    }
                    assertThat(directed).isTrue();
                }
                double dropsAtClose = Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS);
                int burst = published;
                await().atMost(WAIT).until(() -> ofTopic(reader, topic).size() == burst); // nothing else on its way
                double deliveredBefore = Scrape.value("gateway_messages_delivered_total", "");
                for (int i = 0; i < 5; i++) { // to a link closing as a slow consumer: refused as well
                    ReferenceClusterResource.cluster().publish(quiet, "{\"q\":" + i + "}");
                }
                await().atMost(WAIT).until(() -> ofTopic(reader, quiet).size() == 5); // fanned out by now
                assertThat(Scrape.value("gateway_messages_delivered_total", ""))
                        .as("delivered to the reader, refused to the closing link: counted once each")
                        .isEqualTo(deliveredBefore + 5);
                await().atMost(WAIT).untilAsserted(() -> assertThat(
                        Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS))
                        .as("each message refused after the close counted (and any of the last burst still on its way)")
                        .isGreaterThanOrEqualTo(dropsAtClose + 5));
                proxy.stall(slow.localAddress(), false);
                assertThat(slow.awaitClose(WAIT)).isEqualTo(4002);

                // it comes back with its resume token and no since, as a client that keeps no positions does
                String token = slow.welcome().getString("resume");
                resumed = TestClient.connect(GatewayUrls.ws() + "?resume=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
                assertThat(resumed.welcome().getString("session")).isEqualTo(slow.welcome().getString("session"));
                for (int i = 0; i < 20; i++, published++) {
                    ReferenceClusterResource.cluster().publish(topic, "{\"n\":" + published + "}");
                }
                TestClient back = resumed;
                int all = published;
                await().atMost(WAIT).until(() -> ofTopic(back, topic).stream()
                        .anyMatch(message -> message.getJsonObject("data").getInteger("n") == all - 1));
                List<Integer> received = new ArrayList<>();
                for (TestClient link : List.of(slow, resumed)) {
                    ofTopic(link, topic).forEach(message -> received.add(message.getJsonObject("data").getInteger("n")));
                }
                assertThat(received).as("what the first link got, then what was refused to it and what came since")
                        .isEqualTo(IntStream.range(0, published).boxed().toList());
                await().atMost(WAIT).until(() -> ofTopic(slow, quiet).size() + ofTopic(back, quiet).size() == 5);
                assertThat(ofTopic(back, quiet)).as("published to the closing link: refused, then recovered").isNotEmpty();
                assertThat(resumed.frames("gap")).isEmpty();
                // the directs came while its link was closing, not yet gone: held, as for a lost link
                back.awaitCount("direct", 3, WAIT);
                assertThat(back.frames("direct").stream().map(d -> d.getJsonObject("data").getInteger("d")).toList())
                        .containsExactly(0, 1, 2);
                assertThat(slow.frames("direct")).isEmpty();
            } finally {
                reader.close();
                slow.close();
                if (resumed != null) {
                    resumed.close();
                }
            }
        }
    }

    private static List<JsonObject> ofTopic(TestClient browser, String topic) {
        return browser.frames("message").stream().filter(message -> topic.equals(message.getString("topic"))).toList();
    }

    /**
     * Publishes bursts until the slow-consumer drops pass {@code dropsBefore} (a 4002 counts the messages it drops,
     * not one): a stalled link's socket buffers fill first (a few MiB), and only then do the gateway's writes stay
     * pending and count against the bound. The reader keeps up all along. Returns the new count of messages published.
     */
    private static int publishUntilDropped(String topic, int published, double dropsBefore, TestClient reader) {
        while (Scrape.value("gateway_messages_dropped_total", SLOW_CONSUMER_DROPS) <= dropsBefore) {
            assertThat(published).as("messages of 4 KB published without a 4002").isLessThan(6_000);
            published = publishBurst(topic, published);
            reader.awaitCount("message", published, WAIT);
        }
        return published;
    }

    /** Browser links closed so far, whatever the code. */
    private static double allCloses() {
        return Scrape.metrics().lines().filter(line -> line.startsWith("gateway_client_closes_total{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    /** Sends unless the link turns out to be cut (the proxy closes the client when its write to the gateway fails). */
    private static void sendUnlessCut(TestClient browser, JsonObject frame) {
        try {
            browser.sendJson(frame);
        } catch (IllegalStateException cut) {
            // closed between the check and the send
        }
    }
}
