package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class ClientProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void closeClients() {
        clients.forEach(TestClient::close);
    }

    private TestClient connect() {
        return connect(GatewayUrls.ws());
    }

    private TestClient connect(String url) {
        TestClient client = TestClient.connect(url);
        clients.add(client);
        return client;
    }

    @Test
    void welcomeComesFirstWithARandomSessionAndTheHeartbeat() {
        JsonObject welcome = connect().welcome();
        assertThat(welcome.getString("type")).isEqualTo("welcome");
        assertThat(welcome.getInteger("protocol")).isEqualTo(1);
        assertThat(welcome.getString("session")).startsWith("s-").hasSizeGreaterThanOrEqualTo(2 + 22);
        assertThat(welcome.getLong("heartbeat")).isEqualTo(25_000L);
        assertThat(welcome.containsKey("restored")).isTrue();
        assertThat(welcome.getValue("restored")).isNull();
        assertThat(connect().welcome().getString("session")).isNotEqualTo(welcome.getString("session"));
    }

    @Test
    void selectsTheGatewaySubprotocolWhenOffered() {
        TestClient client = TestClient.connect(GatewayUrls.ws(), Map.of(), List.of("gateway.v1"));
        clients.add(client);
        client.welcome();
        assertThat(client.subprotocol()).isEqualTo("gateway.v1");
    }

    @Test
    void pingGetsPong() {
        TestClient client = connect();
        client.welcome();
        client.send("{\"type\":\"ping\"}");
        client.await("pong", WAIT);
    }

    @Test
    void aFrameHoldingSeveralRequestsGetsEveryReply() {
        TestClient client = connect();
        client.welcome();
        client.send("{\"type\":\"subscribe\",\"id\":\"a\",\"topics\":[\"multi/one\"]}\n"
                + "{\"type\":\"ping\"}\n"
                + "{\"type\":\"ignore\",\"id\":\"b\",\"topics\":[\"multi/two\"]}\n"
                + "{\"type\":\"unsubscribe\",\"id\":\"c\",\"topics\":[\"multi/one\"]}\n"
                + "{\"type\":\"unignore\",\"id\":\"d\",\"topics\":[\"multi/two\"]}");
        assertThat(client.awaitReply("a", WAIT).getString("type")).isEqualTo("subscribed");
        assertThat(client.awaitReply("b", WAIT).getString("type")).isEqualTo("ignored");
        assertThat(client.awaitReply("c", WAIT).getString("type")).isEqualTo("unsubscribed");
        assertThat(client.awaitReply("d", WAIT).getString("type")).isEqualTo("unignored");
        assertThat(client.frames("pong")).hasSize(1);
        assertThat(client.frames()).extracting(frame -> frame.getString("type"))
                .containsExactly("welcome", "subscribed", "pong", "ignored", "unsubscribed", "unignored");
    }

    @Test
    void everyMalformedRequestGetsItsErrorCodeAndTheLinkStaysUsable() {
        TestClient bystander = connect();
        bystander.welcome();
        TestClient client = connect();
        client.welcome();
        String[][] cases = {
                { "not json at all", null, "bad_request" },
                { "[1,2,3]", null, "bad_request" },
                { "{\"id\":\"1\"}", "1", "bad_request" },
                { "{\"type\":42,\"id\":\"2\"}", "2", "bad_request" },
                { "{\"type\":\"explode\",\"id\":\"3\"}", "3", "unknown_type" },
                { "{\"type\":\"subscribe\",\"topics\":[\"a/b\"]}", null, "bad_request" },
                { "{\"type\":\"subscribe\",\"id\":\"5\"}", "5", "bad_request" },
                { "{\"type\":\"subscribe\",\"id\":\"6\",\"topics\":\"a/b\"}", "6", "bad_request" },
                { "{\"type\":\"subscribe\",\"id\":\"7\",\"topics\":[]}", "7", "bad_request" },
                { "{\"type\":\"subscribe\",\"id\":\"8\",\"topics\":[17]}", "8", "bad_request" },
                { "{\"type\":\"subscribe\",\"id\":\"9\",\"topics\":[\"a//b\"]}", "9", "invalid_topic" },
                { "{\"type\":\"subscribe\",\"id\":\"10\",\"topics\":[\"a/**/b\"]}", "10", "invalid_topic" },
                { "{\"type\":\"subscribe\",\"id\":\"11\",\"topics\":[\"a/b c\"]}", "11", "invalid_topic" },
                { "{\"type\":\"subscribe\",\"id\":\"12\",\"topics\":[\"" + "x".repeat(257) + "\"]}", "12",
                        "invalid_topic" },
                { "{\"type\":\"ignore\",\"id\":\"13\",\"topics\":[\"/a\"]}", "13", "invalid_topic" },
                { "{\"type\":\"send\",\"id\":\"14\",\"data\":{}}", "14", "bad_request" },
                { "{\"type\":\"send\",\"event\":\"x\",\"data\":{}}", null, "bad_request" },
                { "{\"type\":\"unsubscribe\",\"id\":\"16\",\"topics\":[\"a/*/\"]}", "16", "invalid_topic" },
        };
        for (String[] testCase : cases) {
            int before = client.frames("error").size();
            client.send(testCase[0]);
            await().atMost(WAIT).until(() -> client.frames("error").size() == before + 1);
            JsonObject error = client.frames("error").get(before);
            assertThat(error.getString("code")).as(testCase[0]).isEqualTo(testCase[2]);
            assertThat(error.getString("id")).as(testCase[0]).isEqualTo(testCase[1]);
            assertThat(error.getString("message")).as(testCase[0]).isNotBlank();
        }
        client.sendBinary(new byte[] { 1, 2, 3 });
        await().atMost(WAIT).until(() -> client.frames("error").size() == cases.length + 1);
        assertThat(client.frames("error").get(cases.length).getString("code")).isEqualTo("bad_request");

        // still usable, and the other session never noticed
        client.send("{\"type\":\"subscribe\",\"id\":\"ok\",\"topics\":[\"fine/topic\"]}");
        assertThat(client.awaitReply("ok", WAIT).getString("type")).isEqualTo("subscribed");
        assertThat(client.isClosed()).isFalse();
        bystander.send("{\"type\":\"ping\"}");
        bystander.await("pong", WAIT);
        assertThat(bystander.frames("error")).isEmpty();
    }

    @Test
    void tooManySubscriptionsIsRefusedAsAWhole() {
        TestClient client = connect();
        client.welcome();
        List<String> topics = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            topics.add("many/t" + i);
        }
        client.sendJson(new JsonObject().put("type", "subscribe").put("id", "big").put("topics", topics));
        JsonObject reply = client.awaitReply("big", WAIT);
        assertThat(reply.getString("code")).isEqualTo("too_many_subscriptions");
        client.sendJson(new JsonObject().put("type", "subscribe").put("id", "small").put("topics", List.of("many/t1")));
        assertThat(client.awaitReply("small", WAIT).getString("type")).isEqualTo("subscribed");
    }

    @Test
    void aFloodIsRateLimitedThenClosedWith1008WhileOthersCarryOn() {
        TestClient bystander = connect();
        bystander.welcome();
        TestClient flooder = connect();
        flooder.welcome();
        String frame = String.join("\n", java.util.Collections.nCopies(1000, "{\"type\":\"ping\"}"));
        flooder.send(frame);
        assertThat(flooder.awaitClose(WAIT)).isEqualTo(1008);
        assertThat(flooder.closeReason()).contains("abuse");
        // the default burst of 400, plus what the 200/s rate refilled while the frame was read
        assertThat(flooder.frames("pong")).hasSizeBetween(400, 500);
        assertThat(flooder.frames("error")).hasSizeGreaterThan(300)
                .allSatisfy(error -> assertThat(error.getString("code")).isEqualTo("rate_limited"));
        bystander.send("{\"type\":\"ping\"}");
        bystander.await("pong", WAIT);
    }

    @Test
    void aRateLimitedRequestIsNamedInItsErrorSoTheClientCanSettleIt() {
        TestClient flooder = connect();
        flooder.welcome();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 450; i++) { // past the burst of 400, short of the strikes that close the link
            lines.add(new JsonObject().put("type", "unsubscribe").put("id", "u" + i).put("topics", List.of("x/y"))
                    .encode());
        }
        flooder.send(String.join("\n", lines));
        await().atMost(WAIT).until(() -> flooder.frames("error").size() + flooder.frames("unsubscribed").size() >= 450);
        assertThat(flooder.frames("error")).isNotEmpty().allSatisfy(error -> {
            assertThat(error.getString("code")).isEqualTo("rate_limited");
            assertThat(error.getString("id")).startsWith("u");
        });
    }

    @Test
    void aFloodOfBinaryFramesIsRateLimitedThenClosedWith1008() {
        TestClient flooder = connect();
        flooder.welcome();
        for (int i = 0; i < 1500; i++) {
            flooder.sendBinary(new byte[] {1});
        }
        assertThat(flooder.awaitClose(WAIT)).isEqualTo(1008);
        assertThat(flooder.frames("error")).extracting(error -> error.getString("code"))
                .contains("bad_request", "rate_limited");
    }

    @Test
    void anUpgradeWithAMalformedQueryStringIsRefusedWith400AndOthersCarryOn() {
        assertThatThrownBy(() -> TestClient.connectWithRawQuery(GatewayUrls.ws(), "resume=%zz"))
                .hasRootCauseInstanceOf(io.vertx.core.http.UpgradeRejectedException.class)
                .rootCause().hasMessageContaining("400");
        connect().welcome();
    }

    @Test
    void anIgnoreListIsBoundedAndTakesThousandsOfPatternsInOneRequest() {
        TestClient client = connect();
        client.welcome();
        List<String> patterns = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            patterns.add("noise/p" + i + "/*");
        }
        client.sendJson(new JsonObject().put("type", "ignore").put("id", "big").put("topics", patterns));
        assertThat(client.awaitReply("big", WAIT).getString("code")).isEqualTo("too_many_subscriptions");
        client.sendJson(new JsonObject().put("type", "ignore").put("id", "full").put("topics", patterns.subList(0, 1000)));
        assertThat(client.awaitReply("full", WAIT).getString("type")).isEqualTo("ignored");
        client.sendJson(new JsonObject().put("type", "ignore").put("id", "more").put("topics", List.of("noise/other")));
        assertThat(client.awaitReply("more", WAIT).getString("code")).isEqualTo("too_many_subscriptions");
        client.sendJson(new JsonObject().put("type", "unignore").put("id", "less").put("topics", patterns));
        assertThat(client.awaitReply("less", WAIT).getString("type")).isEqualTo("unignored");
        client.sendJson(new JsonObject().put("type", "ignore").put("id", "again").put("topics", List.of("noise/other")));
        assertThat(client.awaitReply("again", WAIT).getString("type")).isEqualTo("ignored");
    }

    @Test
    void aNodesKickWith4002IsHeldAsASlowConsumersCloseAndTheResumeIsServed() {
        TestClient first = connect();
        JsonObject welcome = first.welcome();
        String session = welcome.getString("session");
        await().atMost(WAIT).until(() -> ReferenceClusterResource.cluster().nodes().stream()
                .anyMatch(node -> node.kick(session, 4002, "slow consumer")));
        assertThat(first.awaitClose(WAIT)).isEqualTo(4002);

        TestClient back = connect(GatewayUrls.ws() + "?resume=" + welcome.getString("resume"));
        assertThat(back.welcome().getString("session")).as("resumed").isEqualTo(session);
        back.send("{\"type\":\"ping\"}");
        back.await("pong", WAIT); // before, the kick went on to every resumed link and closed it with 4002 again
        assertThat(back.isClosed()).isFalse();
    }

    @Test
    void oversizedFrameClosesWith1009() {
        TestClient client = connect();
        client.welcome();
        client.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
        assertThat(client.awaitClose(WAIT)).isEqualTo(1009);
    }

    @Test
    void publicHealthIsUpWithCorsForAnyOriginByDefault() {
        RestAssured.given().header("Origin", "https://app.example").get(GatewayUrls.http("/ws/health")).then()
                .statusCode(200).header("Access-Control-Allow-Origin", "https://app.example");
    }

    @Test
    void metricsAreNotOnThePublicPort() {
        RestAssured.get(GatewayUrls.http("/q/metrics")).then().statusCode(404);
        RestAssured.get(GatewayUrls.management("/q/metrics")).then().statusCode(200);
    }
}
