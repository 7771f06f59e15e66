package io.edgegw.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;

/**
 * On Linux the gateway runs on Netty's epoll transport (its jar for the CPU and
 * {@code quarkus.vertx.prefer-native-transport}), and browsers connect over it.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class NativeTransportTest {

    private static final Set<String> EPOLL_ARCHITECTURES = Set.of("amd64", "x86_64", "aarch64");

    @Inject
    Vertx vertx;

    @Test
    void linuxRunsOnEpoll() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        assumeTrue(os.contains("linux") && EPOLL_ARCHITECTURES.contains(arch),
                "Netty's epoll transport is shipped for Linux on x86_64 and arm64 only");

        assertThat(vertx.isNativeTransportEnabled())
                .as("native transport (cause if not: %s)", vertx.unavailableNativeTransportCause())
                .isTrue();
        try (TestClient browser = TestClient.connect(GatewayUrls.ws())) {
            assertThat(browser.welcome().getString("session")).startsWith("s-");
        }
    }
}
