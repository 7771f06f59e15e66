package io.edgegw.upstream;

import static io.edgegw.testkit.ProxiedClusterResource.BACKOFF_INITIAL_MS;
import static io.edgegw.testkit.ProxiedClusterResource.BACKOFF_MAX_MS;
import static io.edgegw.testkit.ProxiedClusterResource.SEND_QUEUE_CAPACITY;
import static io.edgegw.testkit.ProxiedClusterResource.SEND_TIMEOUT_MS;
import static io.edgegw.upstream.ProxiedGateway.WAIT;
import static io.edgegw.upstream.ProxiedGateway.assertAlive;
import static io.edgegw.upstream.ProxiedGateway.awaitOffsets;
import static io.edgegw.upstream.ProxiedGateway.cluster;
import static io.edgegw.upstream.ProxiedGateway.send;
import static io.edgegw.upstream.ProxiedGateway.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;


import org.junit.jupiter.api.Test;

import io.edgegw.testkit.ProxiedClusterResource;
import io.edgegw.testkit.TcpProxy;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** Every node unreachable for a while: what browsers are told, how the gateway keeps trying, and the recovery. */
@QuarkusTest
@WithTestResource(ProxiedClusterResource.class)
class UpstreamOutageTest extends ProxiedGatewayTest {

    /** Attempts to watch at the proxies: with 50 ms to 400 ms of backoff, about 2.5 s of outage. */
    private static final int ATTEMPTS = 14;

    @Test
    void whileNoNodeIsReachableSendsFailInTimeTheGatewayBacksOffAndEverythingResumesAfter() {
        String topic = "outage/ticks";
        TestClient browser = gateway.browser();
        subscribe(browser, "s1", topic);
        List<Long> expected = new ArrayList<>();
        expected.add(cluster().publish(topic, "{\"phase\":\"before\"}").offset());
        int before = gateway.activeNode();

        // every node unreachable: connections accepted and closed at once, the live link cut
        List<TcpProxy> proxies = ProxiedClusterResource.proxies();
        proxies.forEach(proxy -> proxy.refuse(true));
        long downAt = System.nanoTime();
        ProxiedClusterResource.proxy(before).cut();
        await().atMost(WAIT).until(() -> !gateway.connection(0).isConnected());

        // sends wait in a bounded queue; one more than it holds is refused at once
        for (int i = 1; i <= SEND_QUEUE_CAPACITY; i++) {
            browser.sendJson(send(browser, "q-" + i));
        }
        browser.sendJson(send(browser, "q-overflow"));
        JsonObject overflow = browser.awaitReply("q-overflow", WAIT);
        assertThat(overflow.getString("type")).isEqualTo("error");
        assertThat(overflow.getString("code")).isEqualTo("upstream_unavailable");
        assertThat(browser.frames("error")).hasSize(1); // the queued ones are still waiting
        long sentAt = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            expected.add(cluster().publish(topic, "{\"phase\":\"outage\",\"n\":" + i + "}").offset());
        }

        // past the time limit, every queued send is answered upstream_unavailable
        for (int i = 1; i <= SEND_QUEUE_CAPACITY; i++) {
            JsonObject error = browser.awaitReply("q-" + i, Duration.ofMillis(SEND_TIMEOUT_MS + 2_000));
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getString("code")).isEqualTo("upstream_unavailable");
        }
        long waitedMs = (System.nanoTime() - sentAt) / 1_000_000;
        assertThat(waitedMs).isGreaterThanOrEqualTo(SEND_TIMEOUT_MS - 200);
        assertThat(browser.frames("ack")).isEmpty();

        // meanwhile the gateway keeps trying, node after node, with growing, jittered delays
        await().atMost(Duration.ofSeconds(15)).until(() -> attemptsSince(downAt).size() >= ATTEMPTS);
        List<Long> times = new ArrayList<>(List.of(downAt));
        times.addAll(attemptsSince(downAt).subList(0, ATTEMPTS));
        // gap i is the delay of attempt i (plus a failed probe): ceilings 50, 100, 200, then 400 ms
        List<Long> gaps = gapsMs(times);
        double early = gaps.subList(0, 3).stream().mapToLong(Long::longValue).average().orElseThrow();
        double late = gaps.subList(3, gaps.size()).stream().mapToLong(Long::longValue).average().orElseThrow();
        System.out.printf(Locale.ROOT, "reconnect attempts while every node refused, gaps in ms: %s "
                + "(mean of the first 3: %.0f, of the rest: %.0f)%n", gaps, early, late);
        assertThat(gaps).allSatisfy(gap -> assertThat(gap).isLessThanOrEqualTo(BACKOFF_MAX_MS + 150));
        assertThat(late).isGreaterThan(early); // expected means 58 and 200 ms
        assertThat(late).isGreaterThan(BACKOFF_INITIAL_MS);
        long spread = gaps.stream().mapToLong(Long::longValue).max().orElseThrow()
                - gaps.stream().mapToLong(Long::longValue).min().orElseThrow();
        assertThat(spread).as("jitter: the gaps vary").isGreaterThan(50);
        assertThat(gateway.connection(0).attempt()).isGreaterThanOrEqualTo(ATTEMPTS);
        assertAlive(browser); // no browser session closes for an upstream outage

        // a node returns: sends are acked again, subscriptions get what they missed, then live messages
        proxies.forEach(proxy -> proxy.refuse(false));
        await().atMost(Duration.ofMillis(BACKOFF_MAX_MS + 5_000)).until(() -> gateway.connection(0).isConnected());
        browser.sendJson(send(browser, "after"));
        assertThat(browser.awaitReply("after", WAIT).getString("type")).isEqualTo("ack");
        expected.add(cluster().publish(topic, "{\"phase\":\"after\"}").offset());
        awaitOffsets(browser, topic, expected);
        assertAlive(browser);
    }

    /** Accept times at every proxy after {@code sinceNanos}, in order: one per attempt (the probe's connect). */
    private static List<Long> attemptsSince(long sinceNanos) {
        return ProxiedClusterResource.proxies().stream().flatMap(proxy -> proxy.acceptTimesNanos().stream())
                .filter(at -> at > sinceNanos).sorted().toList();
    }

    private static List<Long> gapsMs(List<Long> times) {
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add((times.get(i) - times.get(i - 1)) / 1_000_000);
        }
        return gaps;
    }
}
