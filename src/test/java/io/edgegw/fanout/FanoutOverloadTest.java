package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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

/**
 * Over real sockets, with a fan-out bound no queued message fits under: every drain drops what is queued when it
 * starts, and the browser gets, in order, each offset exactly once, as a message or inside a gap; drops are counted.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(FanoutOverloadTest.NothingFits.class)
class FanoutOverloadTest {

    public static class NothingFits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.fanout.max-backlog-bytes", "1");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String OVERLOAD = "reason=\"overload\"";
    private TestClient browser;

    @AfterEach
    void close() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void droppedMessagesReachTheBrowserAsGapsThatCoverThemExactly() {
        String topic = "overload/ticks";
        browser = TestClient.connect(GatewayUrls.ws());
        browser.welcome();
        browser.sendJson(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", List.of(topic)));
        assertThat(browser.awaitReply("s", WAIT).getString("type")).isEqualTo("subscribed");
        await().atMost(WAIT).until(() -> ReferenceClusterResource.cluster().nodes().stream()
                .anyMatch(node -> node.received("sub").stream().anyMatch(sub -> topic.equals(sub.getString("topic")))));
        double droppedBefore = Scrape.value("gateway_messages_dropped_total", OVERLOAD);
        double deliveredBefore = Scrape.value("gateway_messages_delivered_total", "");

        SharedLog.Entry first = null;
        SharedLog.Entry last = null;
        for (int i = 0; i < 50; i++) {
            last = ReferenceClusterResource.cluster().publish(topic, "{\"n\":" + i + "}");
            first = first == null ? last : first;
        }
        long lastOffset = last.offset();
        browser.await(frame -> lastOffset == frame.getLong("to", frame.getLong("offset", -1L)), WAIT);

        // every drain starts above the bound, so it drops what is queued; what arrives while it runs goes out
        long expected = first.offset();
        long inGaps = 0;
        for (JsonObject frame : browser.frames()) {
            String type = frame.getString("type");
            if (!"gap".equals(type) && !"message".equals(type)) {
                continue;
            }
            assertThat(frame.getString("topic")).isEqualTo(topic);
            assertThat(frame.getString("epoch")).isEqualTo(first.epoch());
            long from = "gap".equals(type) ? frame.getLong("from") : frame.getLong("offset");
            long to = "gap".equals(type) ? frame.getLong("to") : from;
            assertThat(from).as("messages and gaps follow each other without a hole or an overlap: %s",
                    browser.frames()).isEqualTo(expected);
            assertThat(to).isGreaterThanOrEqualTo(from);
            inGaps += "gap".equals(type) ? to - from + 1 : 0;
            expected = to + 1;
        }
        assertThat(expected).isEqualTo(lastOffset + 1);
        assertThat(inGaps).as("the first message at least finds its drain above the bound").isPositive();
        long dropped = inGaps;
        await().atMost(WAIT).untilAsserted(() -> assertThat(
                Scrape.value("gateway_messages_dropped_total", OVERLOAD) - droppedBefore).isEqualTo(dropped));
        long messages = browser.frames("message").size();
        await().atMost(WAIT).untilAsserted(() -> assertThat(
                Scrape.value("gateway_messages_delivered_total", "") - deliveredBefore)
                .as("messages delivered, the gaps in their place not counted").isEqualTo(messages));
    }
}
