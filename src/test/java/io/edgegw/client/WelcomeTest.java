package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.Futures;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Future;

/**
 * Every accepted link gets its {@code welcome} first, whatever else is going on: one after another (each closed
 * before the next opens, as a test class does), and many at once.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class WelcomeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void everyLinkOpenedAfterTheLastClosedGetsItsWelcome() {
        for (int i = 0; i < 300; i++) {
            try (TestClient client = TestClient.connect(GatewayUrls.ws())) {
                assertThat(client.welcome().getString("session")).startsWith("s-");
                if (i % 3 == 0) { // some links also talk before they go, as a browser does
                    client.send("{\"type\":\"send\",\"id\":\"w-" + i + "\",\"event\":\"e\",\"data\":{}}");
                    client.awaitReply("w-" + i, WAIT);
                }
            }
        }
    }

    @Test
    void twoHundredLinksOpenedAtOnceEachGetTheirWelcome() {
        List<Future<TestClient>> connecting = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            connecting.add(TestClient.connectAsync(TestClient.sharedVertx(), GatewayUrls.ws(), Map.of(), List.of()));
        }
        List<TestClient> clients = Futures.await(Future.all(connecting), WAIT.multipliedBy(3), "200 upgrades")
                .list();
        try {
            for (TestClient client : clients) {
                assertThat(client.welcome().getString("type")).isEqualTo("welcome");
            }
        } finally {
            clients.forEach(TestClient::close);
        }
    }
}
