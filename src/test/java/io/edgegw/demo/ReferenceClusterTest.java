package io.edgegw.demo;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.edgegw.demo.TestGateway.await;
import static io.edgegw.demo.TestGateway.open;
import static io.edgegw.demo.TestGateway.sendFrame;
import static io.edgegw.demo.TestGateway.sub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReferenceClusterTest {

    private Vertx vertx;
    private ReferenceCluster cluster;

    @BeforeEach
    void startCluster() {
        vertx = Vertx.vertx();
        cluster = ReferenceCluster.start(vertx, 2, 100);
    }

    @AfterEach
    void stopCluster() {
        cluster.close();
        await(vertx.close());
    }

    @Test
    void everyNodeGivesAMessageTheSameEpochAndOffset() {
        TestGateway first = TestGateway.welcomed(vertx, cluster.node(0));
        TestGateway second = TestGateway.welcomed(vertx, cluster.node(1));
        first.subscribe(sub("prices/EURUSD"));
        second.subscribe(sub("prices/**"));

        SharedLog.Entry entry = cluster.publish("prices/EURUSD", "{\"bid\":1.0842,\"ask\":1.0844}");

        JsonObject expected = new JsonObject().put("type", "message").put("topic", "prices/EURUSD")
                .put("epoch", entry.epoch()).put("offset", 1).put("data", new JsonObject("{\"bid\":1.0842,\"ask\":1.0844}"));
        assertEquals(expected, first.next());
        assertEquals(expected, second.next());
    }

    @Test
    void aGatewayMovingToAnotherNodeRecoversFromTheSharedLog() {
        TestGateway first = TestGateway.welcomed(vertx, cluster.node(0));
        JsonObject subscribed = first.subscribe(sub("news/markets"));
        cluster.publish("news/markets", "\"one\"");
        JsonObject seen = first.next();

        await(cluster.node(0).kill());
        cluster.publish("news/markets", "\"two\"");
        TestGateway moved = TestGateway.welcomed(vertx, cluster.node(1));
        JsonObject resubscribed = moved.subscribe(sub("news/markets", seen.getString("epoch"), seen.getLong("offset")));

        assertEquals(subscribed.getString("epoch"), resubscribed.getString("epoch"));
        assertEquals(true, resubscribed.getBoolean("recovered"));
        assertEquals("two", moved.next().getString("data"));
    }

    @Test
    void chatPostOnOneNodeReachesSubscribersOfEveryNode() {
        TestGateway poster = TestGateway.welcomed(vertx, cluster.node(0));
        TestGateway reader = TestGateway.welcomed(vertx, cluster.node(1));
        reader.subscribe(sub("chat/lobby"));
        poster.send(open("s1"), sendFrame("s1", "c-1", "chat.post", new JsonObject().put("text", "hi")));

        assertEquals("ack", poster.next().getString("type"));
        JsonObject message = reader.next();
        assertEquals(new JsonObject().put("from", SendInbox.chatAlias("s1"))
                        .put("data", new JsonObject().put("text", "hi")),
                message.getJsonObject("data"));
    }

    @Test
    void aSendRepeatedOnAnotherNodeIsAckedButNotActedOnTwice() {
        AtomicInteger handled = new AtomicInteger();
        cluster.nodes().forEach(node -> node.onSend(send -> {
            handled.incrementAndGet();
            return null;
        }));
        TestGateway first = TestGateway.welcomed(vertx, cluster.node(0));
        TestGateway second = TestGateway.welcomed(vertx, cluster.node(1));
        JsonObject send = sendFrame("s1", "c-9", "chat.post", "hi");

        first.send(open("s1"), send);
        assertEquals("ack", first.next().getString("type"));
        second.send(open("s1"), send);
        assertEquals("ack", second.next().getString("type"));

        assertEquals(1, handled.get());
    }

    @Test
    void nodeUrlsListTheNodesInOrder() {
        assertEquals(List.of("n0", "n1"), cluster.nodes().stream().map(ReferenceNode::id).toList());
        assertEquals(cluster.node(0).url() + "," + cluster.node(1).url(), cluster.nodeUrls());
    }

    @Test
    void closeStopsEveryNodeWithGoingAway() {
        TestGateway first = TestGateway.welcomed(vertx, cluster.node(0));
        TestGateway second = TestGateway.welcomed(vertx, cluster.node(1));

        cluster.close();

        assertEquals((short) 1001, first.awaitClosed());
        assertEquals((short) 1001, second.awaitClosed());
    }

    @Test
    void nodesCheckTheClusterToken() {
        try (ReferenceCluster secured = ReferenceCluster.start(vertx, 1, 10, 0, "secret")) {
            TestGateway.welcomed(vertx, secured.node(0), "secret");
            TestGateway refused = TestGateway.connect(vertx, secured.node(0));
            refused.send(TestGateway.hello(null));
            assertEquals((short) 1008, refused.awaitClosed());
        }
    }

    @Test
    void blockingStartIsRefusedOnAnEventLoop() throws Exception {
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            try {
                ReferenceCluster.start(vertx, 1, 10).close();
                refused.complete(null);
            } catch (RuntimeException e) {
                refused.complete(e);
            }
        });

        assertInstanceOf(IllegalStateException.class, refused.get(5, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> ReferenceCluster.start(vertx, 0, 10));
    }
}
