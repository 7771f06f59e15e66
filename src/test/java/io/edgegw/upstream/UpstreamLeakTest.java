package io.edgegw.upstream;

import static io.edgegw.upstream.ProxiedGateway.WAIT;
import static io.edgegw.upstream.ProxiedGateway.assertAlive;
import static io.edgegw.upstream.ProxiedGateway.cluster;
import static io.edgegw.upstream.ProxiedGateway.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;


import org.junit.jupiter.api.Test;

import io.edgegw.testkit.ProxiedClusterResource;
import io.edgegw.testkit.TcpProxy;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Hundreds of failovers leave nothing behind: open file descriptors of this JVM (gateway, nodes, proxies and
 * browsers all live in it), timers and sockets of the upstream connection, connections through the proxies.
 */
@QuarkusTest
@WithTestResource(ProxiedClusterResource.class)
class UpstreamLeakTest extends ProxiedGatewayTest {

    private static final int FAILOVERS = 200;
    private static final int FD_TOLERANCE = 12;

    @Test
    void twoHundredFailoversLeaveFileDescriptorsTimersAndSocketsFlat() throws IOException {
        TestClient browser = gateway.browser();
        subscribe(browser, "s1", "leak/ticks");
        failovers(5); // warm up: classes loaded, pools and buffers at their working size
        awaitSettled();
        long fdsBefore = openFileDescriptors();
        UpstreamConnection connection = gateway.connection(0);
        int timersBefore = connection.liveTimers();
        int socketsBefore = connection.liveSockets();

        long start = System.nanoTime();
        failovers(FAILOVERS);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        awaitSettled();
        long fdsAfter = openFileDescriptors();
        System.out.printf("%d failovers in %d ms: open fds %d -> %d, live timers %d -> %d, live sockets %d -> %d%n",
                FAILOVERS, tookMs, fdsBefore, fdsAfter, timersBefore, connection.liveTimers(), socketsBefore,
                connection.liveSockets());

        assertThat(fdsAfter).isLessThanOrEqualTo(fdsBefore + FD_TOLERANCE);
        assertThat(connection.liveTimers()).isBetween(1, 2); // the heartbeat, and at times a pong deadline
        assertThat(connection.liveSockets()).isEqualTo(1);
        assertThat(socketsBefore).isEqualTo(1);
        assertThat(ProxiedClusterResource.proxies().stream().mapToInt(TcpProxy::openConnections).sum()).isEqualTo(1);
        assertThat(cluster().nodes().stream().mapToInt(node -> node.connectionCount()).sum()).isEqualTo(1);
        long offset = cluster().publish("leak/ticks", "{\"after\":true}").offset();
        await().atMost(WAIT).until(() -> ProxiedGateway.offsets(browser, "leak/ticks").contains(offset));
        assertAlive(browser);
    }

    /** Cuts the active node's link {@code count} times, each time waiting until another node took over. */
    private void failovers(int count) {
        for (int i = 0; i < count; i++) {
            int before = gateway.activeNode();
            ProxiedClusterResource.proxy(before).cut();
            gateway.awaitConnectedElsewhere(0, before, WAIT);
        }
    }

    /** Closes in flight have completed: one link through the proxies, one at the nodes, one socket. */
    private void awaitSettled() {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> gateway.connection(0).liveSockets() == 1
                && ProxiedClusterResource.proxies().stream().mapToInt(TcpProxy::openConnections).sum() == 1
                && cluster().nodes().stream().mapToInt(node -> node.connectionCount()).sum() == 1);
    }

    private static long openFileDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
