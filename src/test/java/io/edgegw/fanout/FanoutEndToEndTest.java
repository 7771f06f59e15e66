package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class FanoutEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void closeClients() {
        clients.forEach(TestClient::close);
    }

    private TestClient connect() {
        TestClient client = TestClient.connect(GatewayUrls.ws());
        clients.add(client);
        client.welcome();
        return client;
    }

    private static ReferenceCluster cluster() {
        return ReferenceClusterResource.cluster();
    }

    private static void subscribe(TestClient client, String id, String... topics) {
        client.sendJson(new JsonObject().put("type", "subscribe").put("id", id).put("topics", Arrays.asList(topics)));
        JsonObject reply = client.awaitReply(id, WAIT);
        assertThat(reply.getString("type")).isEqualTo("subscribed");
    }

    private static long framesOfType(String type, String topic) {
        return cluster().nodes().stream().flatMap(node -> node.received(type).stream())
                .filter(frame -> topic.equals(frame.getString("topic"))).count();
    }

    @Test
    void twoHundredBrowsersGetAThousandMessagesInOrderWithOneUpstreamSub() {
        String topic = "load/ticks";
        List<Future<TestClient>> connecting = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            connecting.add(TestClient.connectAsync(TestClient.sharedVertx(), GatewayUrls.ws(), Map.of(), List.of()));
        }
        List<TestClient> browsers = new ArrayList<>();
        for (Future<TestClient> future : connecting) {
            TestClient client = future.toCompletionStage().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS)
                    .join();
            browsers.add(client);
            clients.add(client);
        }
        for (int i = 0; i < browsers.size(); i++) {
            browsers.get(i).welcome();
            subscribe(browsers.get(i), "sub-" + i, topic);
        }
        await().atMost(WAIT).until(() -> framesOfType("sub", topic) == 1);

        for (int i = 1; i <= 1000; i++) {
            cluster().publish(topic, "{\"n\":" + i + "}");
        }
        long firstOffset = -1;
        for (TestClient browser : browsers) {
            browser.awaitCount("message", 1000, WAIT);
            List<JsonObject> messages = browser.frames("message");
            assertThat(messages).hasSize(1000);
            if (firstOffset < 0) {
                firstOffset = messages.get(0).getLong("offset");
            }
            for (int i = 0; i < messages.size(); i++) {
                JsonObject message = messages.get(i);
                assertThat(message.getString("topic")).isEqualTo(topic);
                assertThat(message.getLong("offset")).isEqualTo(firstOffset + i);
                assertThat(message.getJsonObject("data").getInteger("n")).isEqualTo(i + 1);
            }
        }
        assertThat(framesOfType("sub", topic)).isEqualTo(1);

        for (int i = 0; i < browsers.size(); i++) {
            browsers.get(i).sendJson(new JsonObject().put("type", "unsubscribe").put("id", "u-" + i)
                    .put("topics", List.of(topic)));
        }
        browsers.forEach(browser -> browser.await(frame -> "unsubscribed".equals(frame.getString("type")), WAIT));
        await().atMost(WAIT).until(() -> framesOfType("unsub", topic) == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> framesOfType("unsub", topic) == 1 && framesOfType("sub", topic) == 1);
    }

    @Test
    void singleAndMultiSegmentWildcardsMatchAsSpecified() {
        TestClient single = connect();
        TestClient multi = connect();
        subscribe(single, "1", "news/*");
        subscribe(multi, "1", "news/**");
        await().atMost(WAIT).until(() -> framesOfType("sub", "news/*") == 1 && framesOfType("sub", "news/**") == 1);

        cluster().publish("news", "{\"k\":\"bare\"}");
        cluster().publish("news/a", "{\"k\":\"one\"}");
        cluster().publish("news/a/b", "{\"k\":\"two\"}");
        cluster().publish("other/a", "{\"k\":\"other\"}");
        cluster().publish("news/z", "{\"k\":\"last\"}");

        single.await(frame -> "message".equals(frame.getString("type")) && "news/z".equals(frame.getString("topic")),
                WAIT);
        multi.await(frame -> "message".equals(frame.getString("type")) && "news/z".equals(frame.getString("topic")),
                WAIT);
        assertThat(single.frames("message")).extracting(frame -> frame.getString("topic"))
                .containsExactly("news/a", "news/z");
        assertThat(multi.frames("message")).extracting(frame -> frame.getString("topic"))
                .containsExactly("news/a", "news/a/b", "news/z");
    }

    @Test
    void aSessionSubscribedTwiceToTheSameTopicGetsEachMessageOnce() {
        TestClient browser = connect();
        subscribe(browser, "1", "dup/x", "dup/*", "dup/**");
        await().atMost(WAIT).until(() -> framesOfType("sub", "dup/**") == 1);
        cluster().publish("dup/x", "{}");
        cluster().publish("dup/y", "{}");
        browser.await(frame -> "dup/y".equals(frame.getString("topic")), WAIT);
        assertThat(browser.frames("message")).extracting(frame -> frame.getString("topic"))
                .containsExactly("dup/x", "dup/y");
    }

    @Test
    void binaryTopicFrameArrivesByteForByte() {
        TestClient browser = connect();
        subscribe(browser, "1", "bin/blob");
        await().atMost(WAIT).until(() -> framesOfType("sub", "bin/blob") == 1);
        byte[] payload = new byte[300];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7);
        }
        ReferenceCluster cluster = cluster();
        var entry = cluster.publishBinary("bin/blob", payload);
        await().atMost(WAIT).until(() -> browser.binaryFrames().size() == 1);
        Buffer frame = browser.binaryFrames().get(0);
        Buffer expected = Buffer.buffer().appendByte((byte) 1).appendUnsignedShort("bin/blob".length())
                .appendString("bin/blob").appendUnsignedByte((short) entry.epoch().length()).appendString(entry.epoch())
                .appendLong(entry.offset()).appendBytes(payload);
        assertThat(frame.getBytes()).isEqualTo(expected.getBytes());
    }

    @Test
    void directReachesOnlyItsSession() {
        TestClient target = connect();
        TestClient bystander = connect();
        String session = target.frames("welcome").get(0).getString("session");
        await().atMost(WAIT).until(() -> cluster().nodes().stream().anyMatch(node -> node.received("open").stream()
                .anyMatch(open -> session.equals(open.getString("session")))));
        boolean sent = false;
        for (ReferenceNode node : cluster().nodes()) {
            sent |= node.direct(session, "hello.you", "{\"x\":1}");
        }
        assertThat(sent).isTrue();
        JsonObject direct = target.await("direct", WAIT);
        assertThat(direct.getString("event")).isEqualTo("hello.you");
        assertThat(direct.getJsonObject("data").getInteger("x")).isEqualTo(1);
        assertThat(direct.containsKey("session")).isFalse();
        bystander.send("{\"type\":\"ping\"}");
        bystander.await("pong", WAIT);
        assertThat(bystander.frames("direct")).isEmpty();
    }
}
