package io.edgegw.upstream;

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


import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.ProxiedClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Two upstream connections over three proxied nodes: what a lost connection carried moves at once to the one still
 * up, without waiting for the lost one to come back, and the lost one comes back on a node its sibling is not on.
 */
@QuarkusTest
@WithTestResource(ProxiedClusterResource.TwoConnections.class)
class UpstreamPlacementTest extends ProxiedGatewayTest {

    @Test
    void whatALostConnectionCarriedMovesAtOnceToTheOneStillUpAndNothingMovesBack() {
        assertThat(pool.connections()).hasSize(2);
        int nodeA = gateway.activeNode(0);
        int nodeB = gateway.activeNode(1);
        assertThat(nodeA).isNotEqualTo(nodeB); // spread over different nodes

        String topic = "placement/ticks";
        TestClient browser = gateway.browser();
        String session = browser.welcome().getString("session");
        subscribe(browser, "s1", topic);
        int carrier = nodeOf(topic);
        int other = carrier == nodeA ? nodeB : nodeA;
        List<Long> expected = new ArrayList<>();
        expected.add(cluster().publish(topic, "{\"n\":0}").offset());

        // the node carrying the topic stops answering the health probe: the lost connection cannot come back soon
        cluster().node(carrier).setHealthy(false);
        ProxiedClusterResource.proxy(carrier).refuse(true);
        long cutAt = System.nanoTime();
        ProxiedClusterResource.proxy(carrier).cut();
        ReferenceNode survivor = cluster().node(other);
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5)).until(() -> subsWithSince(survivor,
                topic) > 0 && survivor.received("open").stream().anyMatch(open -> session.equals(open.getString(
                        "session"))));
        long movedMs = (System.nanoTime() - cutAt) / 1_000_000;
        System.out.printf("topic and session moved to the connection still up in %d ms%n", movedMs);
        expected.add(cluster().publish(topic, "{\"n\":1}").offset());
        awaitOffsets(browser, topic, expected);
        browser.sendJson(send(browser, "moved"));
        assertThat(browser.awaitReply("moved", WAIT).getString("type")).isEqualTo("ack");

        // the lost connection comes back on the third node, not on its sibling's
        int third = 3 - nodeA - nodeB;
        int lost = carrier == nodeA ? 0 : 1;
        await().atMost(WAIT).until(() -> gateway.connection(lost).isConnected());
        assertThat(ProxiedClusterResource.nodeBehindPort(gateway.connection(lost).node().port())).isEqualTo(third);
        // and nothing moves back to it
        expected.add(cluster().publish(topic, "{\"n\":2}").offset());
        awaitOffsets(browser, topic, expected);
        assertThat(subsWithSince(cluster().node(third), topic)).isZero();
        assertAlive(browser);
    }

    /** The node that received the gateway's {@code sub} for a topic. */
    private static int nodeOf(String topic) {
        for (int i = 0; i < 3; i++) {
            if (cluster().node(i).received("sub").stream().anyMatch(sub -> topic.equals(sub.getString("topic")))) {
                return i;
            }
        }
        throw new AssertionError("no node has a sub for " + topic);
    }

    private static long subsWithSince(ReferenceNode node, String topic) {
        return node.received("sub").stream()
                .filter(sub -> topic.equals(sub.getString("topic")) && sub.getJsonObject("since") != null).count();
    }
}
