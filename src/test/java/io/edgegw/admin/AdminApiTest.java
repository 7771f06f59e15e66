package io.edgegw.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@TestProfile(AdminApiTest.WithAdminToken.class)
@WithTestResource(ReferenceClusterResource.class)
class AdminApiTest {

    public static class WithAdminToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.admin.token", "s3cret", "gateway.fanout.ignore", "muted/**");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static RequestSpecification admin() {
        return RestAssured.given().header("Authorization", "Bearer s3cret");
    }

    private static ReferenceCluster cluster() {
        return ReferenceClusterResource.cluster();
    }

    private static long nodeFrames(String type, String topic) {
        return cluster().nodes().stream().flatMap(node -> node.received(type).stream())
                .filter(frame -> topic.equals(frame.getString("topic"))).count();
    }

    @Test
    void aMissingOrWrongTokenIs401() {
        RestAssured.get(GatewayUrls.management("/admin/ignore")).then().statusCode(401);
        RestAssured.given().header("Authorization", "Bearer nope").get(GatewayUrls.management("/admin/ignore"))
                .then().statusCode(401);
        RestAssured.given().header("Authorization", "Bearer nope")
                .put(GatewayUrls.management("/admin/ignore?pattern=x")).then().statusCode(401);
    }

    @Test
    void theAdminApiIsNotOnTheBrowserPort() {
        admin().get(GatewayUrls.http("/admin/ignore")).then().statusCode(404);
    }

    @Test
    void listsAddsAndRemovesGlobalIgnorePatterns() {
        admin().get(GatewayUrls.management("/admin/ignore")).then().statusCode(200)
                .body("patterns", contains("muted/**"));
        admin().queryParam("pattern", "a//b").put(GatewayUrls.management("/admin/ignore")).then().statusCode(400)
                .body("code", org.hamcrest.Matchers.equalTo("invalid_topic"));
        admin().queryParam("pattern", "tmp/*").put(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
        admin().get(GatewayUrls.management("/admin/ignore")).then().body("patterns", hasItem("tmp/*"));
        admin().queryParam("pattern", "tmp/*").delete(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
        admin().queryParam("pattern", "tmp/*").delete(GatewayUrls.management("/admin/ignore")).then().statusCode(404);
        admin().get(GatewayUrls.management("/admin/ignore")).then().body("patterns", not(hasItem("tmp/*")));
    }

    @Test
    void aTopicIgnoredByConfigIsNeitherSubscribedUpstreamNorDelivered() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            client.sendJson(new JsonObject().put("type", "subscribe").put("id", "1")
                    .put("topics", List.of("muted/a", "heard/a")));
            client.awaitReply("1", WAIT);
            await().atMost(WAIT).until(() -> nodeFrames("sub", "heard/a") == 1);
            assertThat(nodeFrames("sub", "muted/a")).isZero();
            cluster().publish("muted/a", "{}");
            cluster().publish("heard/a", "{}");
            client.await("message", WAIT);
            assertThat(client.frames("message")).extracting(m -> m.getString("topic")).containsExactly("heard/a");
        }
    }

    @Test
    void aRuntimeIgnoreTakesEffectForTheNextMessageAndIsCounted() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            client.sendJson(new JsonObject().put("type", "subscribe").put("id", "1").put("topics", List.of("live/x")));
            client.awaitReply("1", WAIT);
            await().atMost(WAIT).until(() -> nodeFrames("sub", "live/x") == 1);
            cluster().publish("live/x", "{\"n\":1}");
            client.awaitCount("message", 1, WAIT);

            admin().queryParam("pattern", "live/*").put(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
            // wholly ignored: the gateway no longer needs the topic upstream
            await().atMost(WAIT).until(() -> nodeFrames("unsub", "live/x") == 1);
            cluster().publish("live/x", "{\"n\":2}");

            admin().queryParam("pattern", "live/*").delete(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
            await().atMost(WAIT).until(() -> nodeFrames("sub", "live/x") == 2);
            cluster().publish("live/x", "{\"n\":3}");
            client.awaitCount("message", 2, WAIT);
            assertThat(client.frames("message")).extracting(m -> m.getJsonObject("data").getInteger("n"))
                    .containsExactly(1, 3);
        }
    }

    @Test
    void messagesOfAnIgnoredTopicStillArrivingAreCountedAsIgnored() {
        admin().queryParam("pattern", "half/quiet").put(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            // a pattern subscription is not wholly covered by the ignore of one topic: it stays upstream
            client.sendJson(new JsonObject().put("type", "subscribe").put("id", "1").put("topics", List.of("half/*")));
            client.awaitReply("1", WAIT);
            await().atMost(WAIT).until(() -> nodeFrames("sub", "half/*") == 1);
            double before = Scrape.value("gateway_messages_ignored_total", "scope=\"global\"");
            cluster().publish("half/quiet", "{}");
            cluster().publish("half/loud", "{}");
            client.await("message", WAIT);
            assertThat(client.frames("message")).extracting(m -> m.getString("topic")).containsExactly("half/loud");
            await().atMost(WAIT).until(
                    () -> Scrape.value("gateway_messages_ignored_total", "scope=\"global\"") == before + 1);
        } finally {
            admin().queryParam("pattern", "half/quiet").delete(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
        }
    }

    @Test
    void aGapAboutAnIgnoredTopicIsNotSentToThePatternsThatCoverIt() {
        admin().queryParam("pattern", "reset/quiet").put(GatewayUrls.management("/admin/ignore")).then().statusCode(204);
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            client.sendJson(new JsonObject().put("type", "subscribe").put("id", "1")
                    .put("topics", List.of("reset/*")));
            client.awaitReply("1", WAIT);
            await().atMost(WAIT).until(() -> nodeFrames("sub", "reset/*") == 1);
            cluster().publish("reset/quiet", "{}"); // ignored, but the gateway keeps its position in the topic
            cluster().log().resetEpoch("reset/quiet"); // the cluster lost its history: a reset gap for the topic
            cluster().publish("reset/quiet", "{}");
            cluster().publish("reset/loud", "{}"); // through the same sub, so after anything about reset/quiet
            client.await("message", WAIT);
            assertThat(client.frames("gap")).isEmpty();
            assertThat(client.frames("message")).extracting(m -> m.getString("topic")).containsExactly("reset/loud");
        } finally {
            admin().queryParam("pattern", "reset/quiet").delete(GatewayUrls.management("/admin/ignore")).then()
                    .statusCode(204);
        }
    }
}
