package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayProcess;
import io.edgegw.testkit.TestClient;
import io.restassured.RestAssured;

/** SIGTERM on the packaged gateway: browsers are closed with 1012, spread over the drain period, then it exits. */
class GracefulDrainIT {

    @Test
    void sigtermDrainsBrowsersWith1012SpreadOverTheDrainPeriodThenExits() throws Exception {
        try (GatewayProcess gateway = GatewayProcess.start("gateway.shutdown.drain-period=5s")) {
            List<TestClient> clients = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                TestClient client = TestClient.connect(gateway.ws());
                client.welcome();
                clients.add(client);
            }
            Map<TestClient, Long> closedAt = new ConcurrentHashMap<>();
            long start = System.nanoTime();
            gateway.terminate();

            // Quarkus' shutdown delay keeps the servers up while the drain runs: readiness says so (well within the
            // drain period, also on a starved machine, where the JVM may take seconds to begin its shutdown)
            await().atMost(Duration.ofSeconds(4)).until(() -> RestAssured.get(gateway.management("/q/health/ready"))
                    .statusCode() == 503);

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                clients.stream().filter(TestClient::isClosed).forEach(c -> closedAt.putIfAbsent(c, System.nanoTime()));
                return closedAt.size() == clients.size();
            });
            assertThat(clients).allSatisfy(client -> assertThat(client.closeCode()).isEqualTo(1012));
            long first = closedAt.values().stream().min(Long::compare).orElseThrow() - start;
            long last = closedAt.values().stream().max(Long::compare).orElseThrow() - start;
            assertThat(Duration.ofNanos(last - first)).as("closes spread over the drain period")
                    .isGreaterThan(Duration.ofMillis(1000));
            assertThat(Duration.ofNanos(last)).isLessThan(Duration.ofMillis(5000 + 3000));
            int exit = gateway.awaitExit(Duration.ofSeconds(20));
            assertThat(exit).as(gateway.output()).isIn(0, 143);
            assertThat(gateway.output()).contains("draining 30 browser session(s)");
        }
    }
}
