package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.edgegw.demo.ReferenceNode;
import io.edgegw.demo.SharedLog;
import io.edgegw.testkit.Futures;
import io.edgegw.upstream.UpstreamConnection.CloseReaction;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * One {@link UpstreamConnection} against scripted nodes, without a gateway: the reactions to close codes, the
 * protocol check, {@code wss://} trust, re-resolution of names. A fixed random (0.5) makes every delay exact.
 */
class UpstreamConnectionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long JITTER_MS = 10; // going away: (long) (0.5 * 11) = 5 ms
    private static final BackoffPolicy POLICY = new BackoffPolicy(Duration.ofMillis(40), Duration.ofSeconds(1), 2.0,
            BackoffPolicy.Jitter.FULL); // attempt n: (long) (0.5 * (40·2^n + 1)) = 20, 40, 80, 160...

    private Vertx vertx;
    private Context context;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Recorder recorder = new Recorder();

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void stopVertx() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        Futures.await(vertx.close(), WAIT, "vertx close");
    }

    /** What the connection reported, as its pool would see it. */
    static final class Recorder implements ConnectionListener {
        final List<Long> backoffDelays = new CopyOnWriteArrayList<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicInteger connected = new AtomicInteger();
        final AtomicInteger disconnected = new AtomicInteger();

        @Override
        public void connected(UpstreamConnection connection) {
            connected.incrementAndGet();
        }

        @Override
        public void disconnected(UpstreamConnection connection) {
            disconnected.incrementAndGet();
        }

        @Override
        public void text(UpstreamConnection connection, NodeFrame frame, long receivedNanos) {
        }

        @Override
        public void binary(UpstreamConnection connection, Buffer frame, long receivedNanos) {
        }

        @Override
        public void transition(UpstreamConnection connection, UpstreamState from, UpstreamState to, String why) {
            if (to == UpstreamState.BACKOFF) {
                backoffDelays.add(connection.lastDelayMs());
            }
        }

        @Override
        public void failure(UpstreamConnection connection, NodeRing.Node node, String code) {
            failures.add(code);
        }
    }

    /** A file of the test TLS material in src/test/resources/tls (see its README). */
    private static String tls(String file) {
        try {
            return java.nio.file.Path.of(UpstreamConnectionTest.class.getResource("/tls/" + file).toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The node certificate: CN and SAN DNS:localhost, signed by the test CA (tls/ca.pem). */
    private static PemKeyCertOptions localhostCertificate() {
        return new PemKeyCertOptions().setCertPath(tls("node-cert.pem")).setKeyPath(tls("node-key.pem"));
    }

    private ScriptedNode node(String host, int port, PemKeyCertOptions certificate) {
        ScriptedNode node = ScriptedNode.start(vertx, host, port, certificate);
        closeables.add(node);
        return node;
    }

    private UpstreamConnection start(NodeRing ring, long stableAfterMs, Optional<String> caFile, boolean trustAll) {
        return start(ring, stableAfterMs, caFile, trustAll, POLICY);
    }

    private UpstreamConnection start(NodeRing ring, long stableAfterMs, Optional<String> caFile, boolean trustAll,
            BackoffPolicy policy) {
        Promise<UpstreamConnection> started = Promise.promise();
        context.runOnContext(v -> {
            UpstreamClients clients = UpstreamClients.create(vertx, caFile, trustAll, ring);
            UpstreamConnection.Settings settings = new UpstreamConnection.Settings(ring, policy, stableAfterMs,
                    JITTER_MS, 2_000, 1_000, 2_000, System::currentTimeMillis, () -> 0.5, 0, (self, node) -> false);
            UpstreamConnection connection = new UpstreamConnection(0, "test/0", settings, context, vertx,
                    clients.probes(), clients.sockets(), recorder,
                    "{\"type\":\"hello\",\"protocol\":1,\"gateway\":\"test\",\"connection\":\"test/0\"}");
            closeables.add(() -> context.runOnContext(ignored -> connection.shutdown()));
            ring.refresh(vertx).onComplete(resolved -> {
                connection.start();
                started.complete(connection);
            });
        });
        return Futures.await(started.future(), WAIT, "connection start");
    }

    private UpstreamConnection start(NodeRing ring, long stableAfterMs) {
        return start(ring, stableAfterMs, Optional.empty(), false);
    }

    private static NodeRing ring(ScriptedNode... nodes) {
        List<String> urls = new ArrayList<>();
        for (ScriptedNode node : nodes) {
            urls.add("ws://127.0.0.1:" + node.port() + "/upstream");
        }
        return new NodeRing(urls);
    }

    @Test
    void closeCodesAreSortedIntoDeparturesAndFailures() {
        for (int code : new int[] {1000, 1001, 1012}) {
            assertThat(UpstreamConnection.reactionTo(code)).as("%d", code).isEqualTo(CloseReaction.MOVE_ON_AT_ONCE);
        }
        for (int code : new int[] {1002, 1003, 1006, 1008, 1009, 1011, 1013, 4000, 4999}) {
            assertThat(UpstreamConnection.reactionTo(code)).as("%d", code).isEqualTo(CloseReaction.BACK_OFF);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1012})
    void aStableLinkThatTheNodeEndsOnPurposeIsLeftAtOnce(int code) {
        ScriptedNode leaving = node("127.0.0.1", 0, null);
        leaving.closeAfterWelcome = code;
        UpstreamConnection connection = start(ring(leaving), 0); // stable at once
        await().atMost(WAIT).until(() -> recorder.backoffDelays.size() >= 4);
        assertThat(List.copyOf(recorder.backoffDelays).subList(0, 4)).containsOnly(5L); // the going-away jitter, every time
        assertThat(recorder.failures).contains(String.valueOf(code));
        assertThat(connection.lastCloseCode()).isEqualTo(code);
    }

    @ParameterizedTest
    @ValueSource(ints = {1008, 1011, 1013, 4000})
    void aLinkTheNodeEndsWithAnErrorIsLeftAfterTheBackoff(int code) {
        ScriptedNode failing = node("127.0.0.1", 0, null);
        failing.closeAfterWelcome = code;
        start(ring(failing), 0); // stable at once: attempt 0 each time
        await().atMost(WAIT).until(() -> recorder.backoffDelays.size() >= 3);
        assertThat(List.copyOf(recorder.backoffDelays).subList(0, 3)).containsOnly(20L);
        assertThat(recorder.failures).contains(String.valueOf(code));
    }

    @Test
    void aNodeThatKeepsSendingTheGatewayAwayIsBackedOffFromNotHammered() {
        ScriptedNode flapping = node("127.0.0.1", 0, null);
        flapping.closeAfterWelcome = 1001;
        UpstreamConnection connection = start(ring(flapping), 60_000); // never up long enough to count as stable
        await().atMost(WAIT).until(() -> recorder.backoffDelays.size() >= 5);
        // at once the first time (nothing failed before), then the growing backoff: attempts 1, 2, 3, 4
        assertThat(List.copyOf(recorder.backoffDelays).subList(0, 5)).containsExactly(5L, 40L, 80L, 160L, 320L);
        assertThat(connection.attempt()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void aStableLinkResetsDecorrelatedJitterAsWellAsTheAttemptCount() {
        BackoffPolicy decorrelated = new BackoffPolicy(Duration.ofMillis(40), Duration.ofSeconds(1), 2.0,
                BackoffPolicy.Jitter.DECORRELATED); // 40 + 0.5 · (3 · previous − 40 + 1), previous at least 40
        ScriptedNode node = node("127.0.0.1", 0, null);
        node.healthyProbes.set(0); // down: each failed probe grows the delay from the one before
        node.closeAfterWelcome = 1001;
        start(ring(node), 0, Optional.empty(), false, decorrelated); // any link that stood counts as stable
        await().atMost(WAIT).until(() -> recorder.backoffDelays.size() >= 4);
        assertThat(List.copyOf(recorder.backoffDelays).subList(0, 4)).containsExactly(80L, 140L, 230L, 365L);
        node.healthyProbes.set(1); // up for one link, which the node ends with 1001, then down again
        long departure = JITTER_MS / 2; // left at once: no failure delay is that short
        await().atMost(WAIT).until(() -> {
            List<Long> delays = List.copyOf(recorder.backoffDelays);
            int at = delays.indexOf(departure);
            return at >= 0 && delays.size() > at + 1;
        });
        List<Long> delays = List.copyOf(recorder.backoffDelays);
        // the failure after the stable link starts over from the initial delay: grown from the delay before that
        // link, it would have drawn up to three times that
        assertThat(delays.get(delays.indexOf(departure) + 1)).isEqualTo(80L);
    }

    @Test
    void aWelcomeWithAnotherProtocolVersionIsRefusedAndTheNextNodeTried() {
        ScriptedNode future = node("127.0.0.1", 0, null);
        future.welcomeProtocol = 2;
        ScriptedNode current = node("127.0.0.1", 0, null);
        UpstreamConnection connection = start(ring(future, current), 60_000);
        await().atMost(WAIT).until(connection::isConnected);
        assertThat(connection.node().port()).isEqualTo(current.port());
        assertThat(recorder.failures).containsExactly("protocol_error");
        await().atMost(WAIT).until(() -> future.closeCodesFromGateway.contains(1002));
        assertThat(recorder.connected).hasValue(1);
    }

    @Test
    void aWssNodeIsTrustedThroughTheConfiguredCaFile() {
        ScriptedNode secure = node("127.0.0.1", 0, localhostCertificate());
        NodeRing ring = new NodeRing(List.of("wss://localhost:" + secure.port() + "/upstream"));
        UpstreamConnection connection = start(ring, 60_000, Optional.of(tls("ca.pem")), false);
        await().atMost(WAIT).until(connection::isConnected);
        assertThat(connection.node().secure()).isTrue();
        assertThat(connection.node().address()).isEqualTo("127.0.0.1"); // connected by address, verified by name
        assertThat(secure.probes).hasPositiveValue(); // the probe went over TLS too
    }

    @Test
    void aWssNodeWhoseCertificateDoesNotNameItsHostIsRefused() {
        ScriptedNode secure = node("127.0.0.1", 0, localhostCertificate());
        NodeRing ring = new NodeRing(List.of("wss://127.0.0.1:" + secure.port() + "/upstream")); // not in the SAN
        UpstreamConnection connection = start(ring, 60_000, Optional.of(tls("ca.pem")), false);
        await().atMost(WAIT).until(() -> recorder.failures.size() >= 2);
        assertThat(recorder.failures).containsOnly("probe_failed");
        assertThat(secure.upgrades).hasValue(0);
        assertThat(connection.isConnected()).isFalse();
    }

    @Test
    void aWssNodeWhoseCertificateTheJvmDoesNotTrustIsNeverConnected() {
        ScriptedNode secure = node("127.0.0.1", 0, localhostCertificate());
        NodeRing ring = new NodeRing(List.of("wss://localhost:" + secure.port() + "/upstream"));
        UpstreamConnection connection = start(ring, 60_000); // the JVM's default truststore
        await().atMost(WAIT).until(() -> recorder.failures.size() >= 2);
        assertThat(recorder.failures).containsOnly("probe_failed");
        assertThat(secure.upgrades).hasValue(0);
        assertThat(connection.isConnected()).isFalse();
    }

    @Test
    void trustAllAcceptsAnyCertificateForDevelopment() {
        ScriptedNode secure = node("127.0.0.1", 0, localhostCertificate());
        NodeRing ring = new NodeRing(List.of("wss://127.0.0.1:" + secure.port() + "/upstream"));
        UpstreamConnection connection = start(ring, 60_000, Optional.empty(), true);
        await().atMost(WAIT).until(connection::isConnected);
    }

    @Test
    void namesAreResolvedAgainAfterEveryPassRoundTheList() {
        ScriptedNode first = node("127.0.0.2", 0, null);
        first.closeAfterWelcome = 1001; // sends the gateway away: the connection wraps round its list of one
        ScriptedNode second = node("127.0.0.3", first.port(), null);
        AtomicInteger lookups = new AtomicInteger();
        NodeRing ring = new NodeRing(List.of("ws://nodes.headless:" + first.port() + "/upstream"),
                host -> lookups.incrementAndGet() == 1 ? List.of("127.0.0.2") : List.of("127.0.0.2", "127.0.0.3"));
        UpstreamConnection connection = start(ring, 60_000);
        await().atMost(WAIT).until(() -> connection.isConnected() && "127.0.0.3".equals(connection.node().address()));
        assertThat(lookups.get()).isGreaterThanOrEqualTo(2);
        assertThat(ring.nodes()).hasSize(2);
        assertThat(second.upgrades).hasValue(1);
        assertThat(connection.node().name()).isEqualTo("nodes.headless:" + first.port());
    }

    @Test
    void aFlushBeyondTheNodesFrameLimitArrivesWhole() {
        ReferenceNode node = new ReferenceNode(vertx, new SharedLog(10), new ReferenceNode.Options());
        Futures.await(node.start(), WAIT, "node start"); // Vert.x defaults: frames up to 64 KiB, messages 256 KiB
        closeables.add(() -> Futures.await(node.stop(), WAIT, "node stop"));
        UpstreamConnection connection = start(new NodeRing(List.of(node.url())), 60_000);
        await().atMost(WAIT).until(connection::isConnected);
        String big = "x".repeat(100_000); // one line longer than a frame may be
        context.runOnContext(v -> {
            for (int i = 0; i < 3_000; i++) { // what a move of 3,000 sessions writes at once: ~140 KB
                connection.write("{\"type\":\"open\",\"session\":\"s-" + i + "\",\"user\":null}");
            }
            connection.write("{\"type\":\"send\",\"session\":\"s-1\",\"id\":\"big\",\"event\":\"e\",\"data\":\""
                    + big + "\"}");
        });
        await().atMost(WAIT).until(() -> node.received("open").size() == 3_000 && node.received("send").size() == 1);
        assertThat(node.received("send").get(0).getString("data")).hasSize(100_000);
        assertThat(connection.isConnected()).isTrue();
        assertThat(recorder.disconnected).hasValue(0);
    }

    @Test
    void shutdownLeavesNoTimerAndNoSocket() {
        ScriptedNode node = node("127.0.0.1", 0, null);
        UpstreamConnection connection = start(ring(node), 60_000);
        await().atMost(WAIT).until(connection::isConnected);
        assertThat(connection.liveTimers()).isBetween(1, 2); // the heartbeat, and a pong deadline at times
        assertThat(connection.liveSockets()).isEqualTo(1);
        context.runOnContext(v -> connection.shutdown());
        await().atMost(WAIT).until(() -> connection.state() == UpstreamState.CLOSED && connection.liveSockets() == 0);
        assertThat(connection.liveTimers()).isZero();
        await().atMost(WAIT).until(() -> node.closeCodesFromGateway.contains(1001));
    }
}
