package io.edgegw.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** The README's run command: the demo profile starts an embedded cluster that a new user sees traffic from. */
@QuarkusTest
@TestProfile(DemoProfileTest.Demo.class)
class DemoProfileTest {

    public static class Demo implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "demo";
        }
    }

    @Test
    void aBrowserConnectedToTheDemoSeesLiveTicksAndGetsAnswers() {
        try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
            client.welcome();
            client.sendJson(new JsonObject().put("type", "subscribe").put("id", "1").put("topics", List.of("prices/*")));
            assertThat(client.awaitReply("1", Duration.ofSeconds(10)).getString("type")).isEqualTo("subscribed");
            client.awaitCount("message", 3, Duration.ofSeconds(20));
            assertThat(client.frames("message")).allSatisfy(message -> {
                assertThat(message.getString("topic")).startsWith("prices/");
                assertThat(message.getJsonObject("data")).isNotNull();
            });
            client.sendJson(new JsonObject().put("type", "send").put("id", "e1").put("event", "echo")
                    .put("data", new JsonObject().put("hi", "there")));
            assertThat(client.awaitReply("e1", Duration.ofSeconds(10)).getString("type")).isEqualTo("ack");
            assertThat(client.await("direct", Duration.ofSeconds(10)).getJsonObject("data").getString("hi"))
                    .isEqualTo("there");
        }
    }
}
