package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class SendEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private TestClient client;

    @AfterEach
    void close() {
        ReferenceClusterResource.cluster().nodes().forEach(node -> node.onSend(null));
        if (client != null) {
            client.close();
        }
    }

    private static List<JsonObject> sendsSeenByNodes(String session) {
        return ReferenceClusterResource.cluster().nodes().stream().flatMap(node -> node.received("send").stream())
                .filter(send -> session.equals(send.getString("session"))).toList();
    }

    @Test
    void aHundredSendsGetAHundredAcksAndEachReachesANodeOnceWithItsSession() {
        client = TestClient.connect(GatewayUrls.ws());
        String session = client.welcome().getString("session");
        for (int i = 0; i < 100; i++) {
            client.sendJson(new JsonObject().put("type", "send").put("id", "c-" + i).put("event", "chat.note")
                    .put("data", new JsonObject().put("n", i)));
        }
        client.awaitCount("ack", 100, WAIT);
        Set<String> acked = client.frames("ack").stream().map(ack -> ack.getString("id")).collect(Collectors.toSet());
        assertThat(acked).hasSize(100);
        List<JsonObject> seen = sendsSeenByNodes(session);
        assertThat(seen).hasSize(100);
        assertThat(seen).extracting(send -> send.getString("id")).doesNotHaveDuplicates();
        assertThat(seen).allSatisfy(send -> {
            assertThat(send.getString("event")).isEqualTo("chat.note");
            assertThat(send.getJsonObject("data").getInteger("n"))
                    .isEqualTo(Integer.parseInt(send.getString("id").substring(2)));
        });
    }

    @Test
    void aNackReachesTheBrowserAsAnErrorWithTheNodesCode() {
        for (ReferenceNode node : ReferenceClusterResource.cluster().nodes()) {
            node.onSend(send -> new JsonObject().put("code", "forbidden_room").put("message", "not in this room"));
        }
        client = TestClient.connect(GatewayUrls.ws());
        client.welcome();
        client.send("{\"type\":\"send\",\"id\":\"n-1\",\"event\":\"chat.post\",\"data\":{}}");
        JsonObject error = client.awaitReply("n-1", WAIT);
        assertThat(error.getString("type")).isEqualTo("error");
        assertThat(error.getString("code")).isEqualTo("forbidden_room");
        assertThat(error.getString("message")).isEqualTo("not in this room");
    }

    @Test
    void aDuplicateInFlightIdIsABadRequest() {
        for (ReferenceNode node : ReferenceClusterResource.cluster().nodes()) {
            node.onSend(send -> null);
        }
        client = TestClient.connect(GatewayUrls.ws());
        client.welcome();
        // both in one frame: the second arrives while the first is certainly still in flight
        client.send("{\"type\":\"send\",\"id\":\"d\",\"event\":\"e\",\"data\":1}\n"
                + "{\"type\":\"send\",\"id\":\"d\",\"event\":\"e\",\"data\":2}");
        await().atMost(WAIT).until(() -> client.frames("ack").size() == 1 && client.frames("error").size() == 1);
        assertThat(client.frames("error").get(0).getString("code")).isEqualTo("bad_request");
    }

    @Test
    void anyRequestReusingTheIdOfASendInFlightIsABadRequest() {
        for (ReferenceNode node : ReferenceClusterResource.cluster().nodes()) {
            node.onSend(send -> null);
        }
        client = TestClient.connect(GatewayUrls.ws());
        client.welcome();
        client.send("{\"type\":\"send\",\"id\":\"x\",\"event\":\"e\",\"data\":1}\n"
                + "{\"type\":\"subscribe\",\"id\":\"x\",\"topics\":[\"dup/t\"]}\n"
                + "{\"type\":\"subscribe\",\"id\":\"y\",\"topics\":[\"dup/t\"]}");
        await().atMost(WAIT).until(() -> client.frames("ack").size() == 1 && client.frames("subscribed").size() == 1);
        assertThat(client.frames("error")).singleElement().satisfies(error -> {
            assertThat(error.getString("id")).isEqualTo("x");
            assertThat(error.getString("code")).isEqualTo("bad_request");
        });
        assertThat(client.frames("subscribed").get(0).getString("id")).isEqualTo("y");
    }
}
