package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static io.edgegw.client.PaddedTopicTraffic.PADDING;
import static io.edgegw.client.PaddedTopicTraffic.awaitNodeSubscription;
import static io.edgegw.client.PaddedTopicTraffic.publishBurst;
import static io.edgegw.client.PaddedTopicTraffic.subscribe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

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
 * Browsers that stop reading together are closed with 4002 once their loop's sessions hold more than its share of
 * {@code gateway.client.max-outbound-bytes-total}, long before each reaches its own bound, while a browser that
 * reads on the same topic misses nothing; the gauge of unflushed bytes stays near the share and returns to 0, whether
 * their pending frames are read in the end or fail with their link.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(OutboundBudgetAcrossSessionsTest.SmallBudget.class)
class OutboundBudgetAcrossSessionsTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // one event loop, so that its share is the whole budget; a per-session bound the test never reaches
            return Map.of("quarkus.vertx.event-loops-pool-size", "1",
                    "gateway.client.max-outbound-bytes", String.valueOf(PER_SESSION),
                    "gateway.client.max-outbound-bytes-total", String.valueOf(TOTAL));
        }
    }

    static final int TOTAL = 1024 * 1024;
    /**
     * What the stalled browsers are sent, each: what their links hold before the gateway's writes stay pending (the
     * gateway's socket send buffer, up to the kernel's {@code tcp_wmem} maximum, plus the proxy's buffers, about
     * 1.3 MiB), then 8 MiB more: far more than twice the budget.
     */
    private static final long PUBLISHED_BYTES = largestSendBuffer() + 10L * 1024 * 1024;
    /** A per-session bound the test never reaches: only the shared budget can close a browser. */
    static final long PER_SESSION = 4 * PUBLISHED_BYTES;
    /** A drain writes at most about 32 KiB to a browser at a time. */
    private static final int FRAME = 32 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void browsersThatStopReadingTogetherAreClosedByTheSharedBudgetWhileAReaderMissesNothing() {
        String topic = "budget/ticks";
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            List<TestClient> frozen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                frozen.add(TestClient.connectThrough(proxy, GatewayUrls.ws()));
            }
            TestClient reader = TestClient.connect(GatewayUrls.ws());
            try {
                for (TestClient browser : frozen) {
                    subscribe(browser, topic);
                }
                subscribe(reader, topic);
                awaitNodeSubscription(topic);
                frozen.forEach(browser -> proxy.stall(browser.localAddress(), true));

                double largestUnflushed = 0;
                int published = 0;
                for (int burst = 0; published * (long) PADDING.length() < PUBLISHED_BYTES; burst++) {
                    published = publishBurst(topic, published);
                    reader.awaitCount("message", published, WAIT);
                    if (burst % 32 == 0) {
                        largestUnflushed = Math.max(largestUnflushed, unflushed());
                    }
                }
                assertThat(largestUnflushed).as("the stalled browsers' frames are counted").isPositive();
                // past twice the share only sessions with nothing pending get a frame, one each
                assertThat(largestUnflushed).as("unflushed bytes, all sessions").isLessThanOrEqualTo(
                        2.0 * TOTAL + 4 * FRAME);

                // one loses its network (what was pending for it fails), the others read again
                TestClient lost = frozen.get(0);
                proxy.cut(lost.localAddress());
                assertThat(lost.awaitClose(WAIT)).isEqualTo(1006);
                for (TestClient browser : frozen.subList(1, frozen.size())) {
                    proxy.stall(browser.localAddress(), false);
                    assertThat(browser.awaitClose(WAIT)).as("a browser that stopped reading").isEqualTo(4002);
                }
                List<Integer> received = reader.frames("message").stream()
                        .map(message -> message.getJsonObject("data").getInteger("n")).toList();
                assertThat(received).as("every message, once, in order")
                        .isEqualTo(IntStream.range(0, published).boxed().toList());
                assertThat(reader.isClosed()).as("reader closed with %s", reader.closeCode()).isFalse();
                await().atMost(WAIT).untilAsserted(() -> assertThat(unflushed()).as("unflushed bytes after").isZero());
            } finally {
                reader.close();
                frozen.forEach(TestClient::close);
            }
        }
    }

    /** The kernel's largest TCP send buffer (autotuning grows a stalled link's up to it); 4 MiB if unknown. */
    private static long largestSendBuffer() {
        try {
            String[] wmem = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
            return Long.parseLong(wmem[2]);
        } catch (IOException | RuntimeException unknown) {
            return 4L * 1024 * 1024;
        }
    }

    private static double unflushed() {
        return Scrape.value("gateway_outbound_bytes", "");
    }
}
