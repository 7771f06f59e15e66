package io.edgegw.demo;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static io.edgegw.demo.TestGateway.await;
import static io.edgegw.demo.TestGateway.sub;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sub}, {@code since} replays, patterns and topic message frames. */
class NodeSubscriptionTest {

    private Vertx vertx;
    private SharedLog log;
    private ReferenceNode node;
    private TestGateway gateway;

    @BeforeEach
    void startNode() {
        vertx = Vertx.vertx();
        log = new SharedLog(100);
        node = new ReferenceNode(vertx, log, new ReferenceNode.Options().nodeId("n1"));
        await(node.start());
        gateway = TestGateway.welcomed(vertx, node);
    }

    @AfterEach
    void stopNode() {
        await(node.stop());
        await(vertx.close());
    }

    @Test
    void subAnswersWithTheHeadAndDeliversLiveMessages() {
        publish("prices/EURUSD", "{\"bid\":1.08}");
        String epoch = log.epoch("prices/EURUSD");

        JsonObject subscribed = gateway.subscribe(sub("prices/EURUSD"));
        publish("prices/EURUSD", "{\"bid\":1.09}");

        assertEquals(new JsonObject().put("type", "subscribed").put("topic", "prices/EURUSD").put("epoch", epoch)
                .put("offset", 1).put("recovered", true), subscribed);
        assertEquals(new JsonObject("{\"type\":\"message\",\"topic\":\"prices/EURUSD\",\"epoch\":\"" + epoch
                + "\",\"offset\":2,\"data\":{\"bid\":1.09}}"), gateway.next());
    }

    @Test
    void subWithSinceReplaysExactlyTheMissingEntriesAfterSubscribed() {
        for (int i = 1; i <= 5; i++) {
            publish("prices/EURUSD", "{\"n\":" + i + "}");
        }
        String epoch = log.epoch("prices/EURUSD");

        JsonObject subscribed = gateway.subscribe(sub("prices/EURUSD", epoch, 2));

        assertEquals(5, subscribed.getLong("offset"));
        assertTrue(subscribed.getBoolean("recovered"));
        for (long offset = 3; offset <= 5; offset++) {
            JsonObject message = gateway.next();
            assertEquals(offset, message.getLong("offset"));
            assertEquals(epoch, message.getString("epoch"));
            assertEquals(offset, message.getJsonObject("data").getLong("n"));
        }
        gateway.expectNothingMore();
    }

    @Test
    void sinceOfAnotherEpochIsNotRecoveredAndReplaysNothing() {
        publish("prices/EURUSD", "1");
        String old = log.epoch("prices/EURUSD");
        log.resetEpoch("prices/EURUSD");
        publish("prices/EURUSD", "2");

        JsonObject subscribed = gateway.subscribe(sub("prices/EURUSD", old, 0));

        assertFalse(subscribed.getBoolean("recovered"));
        assertEquals(log.epoch("prices/EURUSD"), subscribed.getString("epoch"));
        assertEquals(1, subscribed.getLong("offset"));
        gateway.expectNothingMore();
    }

    @Test
    void sinceBeyondTheHistoryIsNotRecoveredAndReplaysNothing() {
        for (int i = 1; i <= 5; i++) {
            publish("news/markets", "\"headline " + i + "\"");
        }
        log.trimHistory("news/markets", 2);
        String epoch = log.epoch("news/markets");

        assertFalse(gateway.subscribe(sub("news/markets", epoch, 1)).getBoolean("recovered"));
        gateway.expectNothingMore();
        assertTrue(gateway.subscribe(sub("news/markets", epoch, 3)).getBoolean("recovered"));
        assertEquals(4, gateway.next().getLong("offset"));
        assertEquals(5, gateway.next().getLong("offset"));
        gateway.expectNothingMore();
    }

    @Test
    void singleStarMatchesOneSegmentAndDoubleStarOneOrMore() {
        TestGateway other = TestGateway.welcomed(vertx, node);
        assertEquals(new JsonObject().put("type", "subscribed").put("topic", "news/*").put("recovered", true),
                gateway.subscribe(sub("news/*")));
        other.subscribe(sub("news/**"));

        publish("news/a", "1");
        publish("news/a/b", "2");
        publish("news", "3");

        assertEquals("news/a", gateway.next().getString("topic"));
        gateway.expectNothingMore();
        assertEquals("news/a", other.next().getString("topic"));
        assertEquals("news/a/b", other.next().getString("topic"));
        other.expectNothingMore();
    }

    @Test
    void sendsAMessageOncePerConnectionHoweverManySubsMatch() {
        gateway.subscribe(sub("news/*"));
        gateway.subscribe(sub("news/**"));
        gateway.subscribe(sub("news/markets"));

        publish("news/markets", "1");

        assertEquals(1, gateway.next().getLong("offset"));
        gateway.expectNothingMore();
    }

    @Test
    void unsubStopsDeliveryAndInvalidSubIsIgnored() {
        gateway.subscribe(sub("news/markets"));
        gateway.send(new JsonObject().put("type", "unsub").put("topic", "news/markets"), sub("news/**/x"));
        gateway.expectNothingMore();

        publish("news/markets", "1");

        gateway.expectNothingMore();
    }

    @Test
    void binaryEntriesGoOutAsBinaryFramesLiveAndInReplays() {
        byte[] payload = {0, 1, 2, (byte) 0xff};
        publishBinary("bin/feed", payload);
        String epoch = log.epoch("bin/feed");

        gateway.subscribe(sub("bin/feed", epoch, 0));
        assertBinaryMessage(gateway.nextBinary(), "bin/feed", epoch, 1, payload);
        publishBinary("bin/feed", new byte[]{42});
        assertBinaryMessage(gateway.nextBinary(), "bin/feed", epoch, 2, new byte[]{42});
    }

    @Test
    void liveMessagesRacingWithAReplayAreNeitherLostNorRepeated() throws Exception {
        ReferenceCluster cluster = ReferenceCluster.start(vertx, 1, 10_000);
        try {
            TestGateway racer = TestGateway.welcomed(vertx, cluster.node(0));
            for (int i = 0; i < 100; i++) {
                cluster.publish("race/t", Integer.toString(i));
            }
            String epoch = cluster.log().epoch("race/t");
            CompletableFuture<Void> publisher = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 2_000; i++) {
                    cluster.publish("race/t", Integer.toString(i));
                }
            });

            racer.subscribe(sub("race/t", epoch, 10));
            List<Long> offsets = new ArrayList<>();
            while (offsets.isEmpty() || offsets.get(offsets.size() - 1) < 2_100) {
                offsets.add(racer.next().getLong("offset"));
            }

            publisher.get(5, TimeUnit.SECONDS);
            assertEquals(LongStream.rangeClosed(11, 2_100).boxed().toList(), offsets);
            racer.expectNothingMore();
        } finally {
            cluster.close();
        }
    }

    private void publish(String topic, String dataJson) {
        node.publish(log.append(topic, dataJson));
    }

    private void publishBinary(String topic, byte[] payload) {
        node.publish(log.appendBinary(topic, payload));
    }

    private static void assertBinaryMessage(Buffer frame, String topic, String epoch, long offset, byte[] payload) {
        int position = 0;
        assertEquals(0x01, frame.getByte(position++));
        int topicLength = frame.getUnsignedShort(position);
        position += 2;
        assertEquals(topic, frame.getString(position, position + topicLength, StandardCharsets.UTF_8.name()));
        position += topicLength;
        int epochLength = frame.getUnsignedByte(position++);
        assertEquals(epoch, frame.getString(position, position + epochLength, StandardCharsets.UTF_8.name()));
        position += epochLength;
        assertEquals(offset, frame.getLong(position));
        position += 8;
        assertArrayEquals(payload, frame.getBytes(position, frame.length()));
    }

    @Test
    void replaySharesOneTextFrameWithSubscribed() {
        for (int i = 1; i <= 3; i++) {
            publish("t/a", Integer.toString(i));
        }
        int framesBefore = gateway.textFrames();

        assertTrue(gateway.subscribe(sub("t/a", log.epoch("t/a"), 0)).getBoolean("recovered"));

        assertEquals(List.of(1L, 2L, 3L), List.of(gateway.next().getLong("offset"), gateway.next().getLong("offset"),
                gateway.next().getLong("offset")));
        assertEquals(framesBefore + 1, gateway.textFrames());
    }
}
