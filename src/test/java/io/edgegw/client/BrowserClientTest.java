package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgegw.demo.DemoCluster;
import io.edgegw.demo.SharedLog;
import io.edgegw.testkit.GatewayUrls;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;

/**
 * The demo page and {@code /client/gateway-client.js} in headless Chromium ({@code src/test/js/browser}), against this
 * gateway in the demo profile, through a proxy that drops, refuses and freezes connections. Each test runs one
 * scenario of {@code browser.test.mjs}.
 */
@QuarkusTest
@TestProfile(BrowserClientTest.DemoForBrowsers.class)
class BrowserClientTest {

    /**
     * The demo cluster, a 2 s heartbeat (a silent link is found in seconds) and a gateway history of 2 messages, so
     * that what a browser misses during a drop comes from the nodes' history, or, for prices/USDJPY whose node
     * history the test keeps empty, becomes a gap.
     */
    public static class DemoForBrowsers implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "demo";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.client.heartbeat", "2s", "gateway.fanout.history.size", "2");
        }
    }

    private static final Duration SCENARIO_LIMIT = Duration.ofSeconds(60);

    @Inject
    DemoCluster demo;

    @Inject
    Vertx vertx;

    private long historyTrimmer = -1;

    @BeforeEach
    void requireBrowser() {
        NodeTests.requireTooling(true);
    }

    @BeforeEach
    void keepTheHistoryOfUsdJpyEmpty() {
        SharedLog log = demo.cluster().orElseThrow().log();
        historyTrimmer = vertx.setPeriodic(50, id -> log.trimHistory("prices/USDJPY", 0));
    }

    @AfterEach
    void stopTrimming() {
        vertx.cancelTimer(historyTrimmer);
    }

    @Test
    void demoPageConnectsShowsLivePricesIgnoresATopicAndChats() throws Exception {
        scenario("demo-page", "demo page connects");
        assertThat(NodeTests.ARTIFACTS.resolve("demo-page.png")).exists();
        assertThat(Files.size(NodeTests.ARTIFACTS.resolve("demo-page.png"))).isGreaterThan(10_000);
    }

    @Test
    void clientResumesAfterTheLinkDropsWithoutDuplicatesAndReportsWhatHistoryLostAsAGap() throws Exception {
        scenario("client-resume", "client resumes after the link drops");
    }

    @Test
    void sendResolvesOnAckAndTheEchoComesBackAsADirect() throws Exception {
        scenario("client-send", "send resolves on ack");
    }

    @Test
    void subscribingSinceALostEpochSurfacesAResetGap() throws Exception {
        scenario("client-gap-reset", "since a position of a lost epoch");
    }

    @Test
    void aSilentLinkIsDeclaredDeadByTheHeartbeatAndTheSessionResumes() throws Exception {
        scenario("client-heartbeat", "link that goes silent");
    }

    private static void scenario(String name, String testNamePattern) throws Exception {
        NodeTests.run("browser-" + name, SCENARIO_LIMIT, Map.of("GATEWAY_URL", GatewayUrls.http("")),
                "--test-name-pattern=" + testNamePattern, "browser/browser.test.mjs").assertPassed(1);
    }
}
