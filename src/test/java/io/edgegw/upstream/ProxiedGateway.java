package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ProxiedClusterResource;
import io.edgegw.testkit.TestClient;
import io.vertx.core.json.JsonObject;

/**
 * What the end-to-end upstream tests share: the gateway under test seen through its {@link UpstreamPool} and the
 * {@link ProxiedClusterResource}, and browsers that subscribe and count what they got.
 */
final class ProxiedGateway implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);

    private final UpstreamPool pool;
    private final List<TestClient> browsers = new ArrayList<>();

    ProxiedGateway(UpstreamPool pool) {
        this.pool = pool;
    }

    static ReferenceCluster cluster() {
        return ProxiedClusterResource.cluster();
    }

    /** Heals every fault a previous test left and waits until every connection is up. */
    void reset() {
        ProxiedClusterResource.heal();
        await().atMost(WAIT).until(() -> !pool.connections().isEmpty()
                && pool.connections().stream().allMatch(UpstreamConnection::isConnected));
    }

    UpstreamConnection connection(int index) {
        return pool.connections().get(index);
    }

    /** The node (index in the cluster) connection {@code index} is on, once it is connected. */
    int activeNode(int index) {
        await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(() -> connection(index).isConnected());
        int node = ProxiedClusterResource.nodeBehindPort(connection(index).node().port());
        assertThat(node).isNotNegative();
        return node;
    }

    int activeNode() {
        return activeNode(0);
    }

    /** Waits until connection {@code index} is connected to a node other than {@code previous}; returns it. */
    int awaitConnectedElsewhere(int index, int previous, Duration within) {
        await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(() -> connection(index).isConnected()
                && ProxiedClusterResource.nodeBehindPort(connection(index).node().port()) != previous);
        return ProxiedClusterResource.nodeBehindPort(connection(index).node().port());
    }

    TestClient browser() {
        TestClient browser = TestClient.connect(GatewayUrls.ws());
        browsers.add(browser);
        browser.welcome();
        return browser;
    }

    /** Subscribes and waits until a node has the gateway's {@code sub}, so that what is published next is live. */
    static void subscribe(TestClient browser, String id, String... topics) {
        browser.sendJson(new JsonObject().put("type", "subscribe").put("id", id).put("topics", Arrays.asList(topics)));
        assertThat(browser.awaitReply(id, WAIT).getString("type")).isEqualTo("subscribed");
        for (String topic : topics) {
            await().atMost(WAIT).until(() -> cluster().nodes().stream().flatMap(node -> node.received("sub").stream())
                    .anyMatch(sub -> topic.equals(sub.getString("topic"))));
        }
    }

    /** The offsets of the messages of {@code topic} a browser received, in arrival order. */
    static List<Long> offsets(TestClient browser, String topic) {
        return browser.frames("message").stream().filter(message -> topic.equals(message.getString("topic")))
                .map(message -> message.getLong("offset")).toList();
    }

    static void awaitOffsets(TestClient browser, String topic, List<Long> expected) {
        await().atMost(WAIT).until(() -> offsets(browser, topic).size() >= expected.size());
        assertThat(offsets(browser, topic)).as("offsets of %s", topic).containsExactlyElementsOf(expected);
        assertThat(browser.frames("gap")).as("gaps").isEmpty();
    }

    static JsonObject send(TestClient browser, String id) {
        return new JsonObject().put("type", "send").put("id", id).put("event", "chat.note")
                .put("data", new JsonObject().put("id", id));
    }

    /** The browser is still connected: its session answers a ping. */
    static void assertAlive(TestClient browser) {
        int pongs = browser.frames("pong").size();
        browser.send("{\"type\":\"ping\"}");
        await().atMost(WAIT).until(() -> browser.frames("pong").size() > pongs);
        assertThat(browser.isClosed()).as("closed with %s %s after %s", browser.closeCode(), browser.closeReason(),
                browser.frames()).isFalse();
    }

    @Override
    public void close() {
        browsers.forEach(TestClient::close);
        browsers.clear();
    }
}
