package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceNode;
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
 * Directs that come for a disconnected session beyond {@code gateway.session.held-frames} are dropped oldest first,
 * and the resumed browser is told so before the ones kept, instead of finding a silent hole.
 */
@QuarkusTest
@TestProfile(HeldFramesOverflowTest.TwoHeldFrames.class)
@WithTestResource(ReferenceClusterResource.class)
class HeldFramesOverflowTest {

    public static class TwoHeldFrames implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.session.held-frames", "2", "gateway.session.resume-ttl", "20s");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String HELD_OVERFLOW = "reason=\"held_overflow\"";

    @Test
    void aResumedBrowserIsToldHowManyHeldFramesWereDroppedThenGetsTheOnesKept() {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            resumeAfterMoreDirectsThanHeld(TestClient.connectThrough(proxy, GatewayUrls.ws()));
        }
    }

    private static void resumeAfterMoreDirectsThanHeld(TestClient first) {
        JsonObject welcome = first.welcome();
        String session = welcome.getString("session");
        double live = Scrape.value("gateway_sessions", "");
        double droppedBefore = Scrape.value("gateway_messages_dropped_total", HELD_OVERFLOW);
        first.drop(); // the link dies without a close frame: the session is held for a resume
        await().atMost(WAIT).until(() -> Scrape.value("gateway_sessions", "") < live);

        for (int i = 1; i <= 5; i++) {
            boolean directed = false;
            for (ReferenceNode node : ReferenceClusterResource.cluster().nodes()) {
                directed |= node.direct(session, "while.away", "{\"i\":" + i + "}");
            }
            assertThat(directed).isTrue();
        }
        await().atMost(WAIT).until(() -> Scrape.value("gateway_messages_dropped_total", HELD_OVERFLOW)
                == droppedBefore + 3);

        try (TestClient second = TestClient.connect(GatewayUrls.ws() + "?resume="
                + URLEncoder.encode(welcome.getString("resume"), StandardCharsets.UTF_8))) {
            assertThat(second.welcome().getString("session")).isEqualTo(session);
            second.awaitCount("direct", 2, WAIT);
            List<JsonObject> frames = second.frames();
            JsonObject error = second.await("error", WAIT);
            assertThat(error.getString("code")).isEqualTo("held_frames_dropped");
            assertThat(error.getString("message")).startsWith("3 ");
            assertThat(error.containsKey("id")).isFalse();
            assertThat(frames.stream().map(frame -> frame.getString("type")).toList())
                    .as("the note first, then the directs kept, newest two").containsSubsequence("welcome", "error",
                            "direct", "direct");
            assertThat(second.frames("direct").stream().map(d -> d.getJsonObject("data").getInteger("i")).toList())
                    .containsExactly(4, 5);
        }
    }
}
