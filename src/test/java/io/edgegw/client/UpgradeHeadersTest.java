package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.restassured.RestAssured;

/**
 * A browser's upgrade reaches WebSockets Next (which keeps its headers for the connection's life) with only the
 * headers the handshake and the gateway read; the upgrade still works and the origin check still sees Origin.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class UpgradeHeadersTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** What Chrome sends with an upgrade besides the handshake's own headers, and a cookie. */
    private static final Map<String, String> BROWSER = new LinkedHashMap<>();
    static {
        BROWSER.put("Origin", "http://localhost:8081");
        BROWSER.put("Pragma", "no-cache");
        BROWSER.put("Cache-Control", "no-cache");
        BROWSER.put("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36");
        BROWSER.put("Accept-Encoding", "gzip, deflate, br, zstd");
        BROWSER.put("Accept-Language", "en-US,en;q=0.9");
        BROWSER.put("Cookie", "_ga=GA1.1.123456789.1700000000; theme=dark");
        BROWSER.put("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
        BROWSER.put("X-Forwarded-For", "203.0.113.7");
    }

    /**
     * Records the header names of upgrades marked {@code ?probe=…}, as the routes after every filter (WebSockets
     * Next's among them) see them.
     */
    @ApplicationScoped
    static class SeenByRoutes {
        static final Map<String, List<String>> HEADERS = new ConcurrentHashMap<>();

        void register(@Observes Filters filters) {
            filters.register(context -> {
                String probe = context.request().getParam("probe");
                if (probe != null) {
                    HEADERS.put(probe, List.copyOf(context.request().headers().names()));
                }
                context.next();
            }, UpgradeHeaders.PRIORITY - 1);
        }
    }

    @Test
    void anUpgradeKeepsOnlyTheHeadersTheHandshakeAndTheGatewayRead() {
        String probe = UUID.randomUUID().toString();
        try (TestClient browser = TestClient.connect(GatewayUrls.ws() + "?probe=" + probe, BROWSER,
                List.of("gateway.v1"))) {
            assertThat(browser.welcome().getString("type")).isEqualTo("welcome");
            assertThat(browser.subprotocol()).isEqualTo("gateway.v1");
        }
        assertThat(SeenByRoutes.HEADERS.get(probe)).map(String::toLowerCase)
                .contains("host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
                        "sec-websocket-protocol", "origin", "x-forwarded-for")
                .doesNotContain("pragma", "cache-control", "user-agent", "accept-encoding", "accept-language",
                        "cookie", "sec-websocket-extensions");
    }

    @Test
    void otherRequestsKeepTheirHeaders() {
        String probe = UUID.randomUUID().toString();
        RestAssured.given().header("User-Agent", "curl/8").header("Cookie", "a=b")
                .get(GatewayUrls.http("/ws/health?probe=" + probe)).then().statusCode(200);
        assertThat(SeenByRoutes.HEADERS.get(probe)).map(String::toLowerCase).contains("user-agent", "cookie");
        String notAnUpgrade = UUID.randomUUID().toString(); // a WebSocket key alone does not make an upgrade
        RestAssured.given().header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==").header("Cookie", "a=b")
                .get(GatewayUrls.http("/ws/health?probe=" + notAnUpgrade)).then().statusCode(200);
        assertThat(SeenByRoutes.HEADERS.get(notAnUpgrade)).map(String::toLowerCase).contains("cookie");
    }

    @Test
    void namesAreMatchedWithoutRegardToCase() {
        UpgradeHeaders headers = new UpgradeHeaders("X-Forwarded-Host", "X-Forwarded-Prefix");
        assertThat(headers.isKept("sec-websocket-key")).isTrue();
        assertThat(headers.isKept("ORIGIN")).isTrue();
        assertThat(headers.isKept("x-forwarded-proto")).isTrue();
        assertThat(headers.isKept("X-Gateway-Warmup")).isTrue();
        assertThat(headers.isKept("X-Forwarded")).isFalse();
        assertThat(headers.isKept("cookie")).isFalse();
    }

    @Test
    void proxyHeadersRenamedInQuarkusConfigAreKept() {
        UpgradeHeaders headers = new UpgradeHeaders("X-Original-Host", "X-Script-Name");
        assertThat(headers.isKept("x-original-host")).isTrue();
        assertThat(headers.isKept("X-Script-Name")).isTrue();
        assertThat(headers.isKept("X-Original-URL")).isFalse();
    }
}
