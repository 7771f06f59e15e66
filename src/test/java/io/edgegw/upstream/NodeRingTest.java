package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.edgegw.testkit.Futures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/** The node list: parsing, expansion of a name into one node per address, re-resolution. Loopback only. */
class NodeRingTest {

    private static Vertx vertx;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        vertx.close();
    }

    /** Runs {@code ring.refresh} on an event loop, as the upstream loop does, and waits for it. */
    private static void refresh(NodeRing ring) {
        Promise<Void> done = Promise.promise();
        vertx.runOnContext(v -> ring.refresh(vertx).onComplete(done));
        Futures.await(done.future(), Duration.ofSeconds(10), "refresh");
    }

    @Test
    void parsesSchemesPortsAndPaths() {
        NodeRing ring = new NodeRing(List.of("ws://10.0.0.1:7701/upstream?x=1", " wss://nodes.example.com/up ",
                "ws://[::1]/"));
        assertThat(ring.nodes()).extracting(NodeRing.Node::secure).containsExactly(false, true, false);
        assertThat(ring.nodes()).extracting(NodeRing.Node::port).containsExactly(7701, 443, 80);
        assertThat(ring.nodes()).extracting(NodeRing.Node::host).containsExactly("10.0.0.1", "nodes.example.com",
                "::1");
        assertThat(ring.get(0).requestUri()).isEqualTo("/upstream?x=1");
        assertThat(ring.get(4).name()).isEqualTo("nodes.example.com:443"); // positions wrap round
        assertThat(ring.get(-1).name()).isEqualTo("::1:80");
        assertThatThrownBy(() -> new NodeRing(List.of("http://a:1/"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeRing(List.of(" "))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void localhostExpandsToItsLoopbackAddressesKeepingTheNameForTlsAndMetrics() {
        NodeRing ring = new NodeRing(List.of("ws://localhost:7701/upstream", "ws://127.0.0.1:7702/upstream"));
        assertThat(ring.get(0).address()).isNull(); // before the first resolution: the connect resolves
        refresh(ring);
        List<NodeRing.Node> nodes = ring.nodes();
        assertThat(nodes.size()).isGreaterThanOrEqualTo(2);
        NodeRing.Node local = nodes.get(0);
        assertThat(local.host()).isEqualTo("localhost");
        assertThat(local.address()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(local.name()).isEqualTo("localhost:7701");
        assertThat(local.label()).isEqualTo("localhost:7701@" + local.address());
        assertThat(local.server().hostAddress()).isEqualTo(local.address());
        assertThat(local.server().port()).isEqualTo(7701);
        NodeRing.Node literal = nodes.get(nodes.size() - 1);
        assertThat(literal.address()).isEqualTo("127.0.0.1");
        assertThat(literal.label()).isEqualTo("127.0.0.1:7702");
        assertThat(ring.refreshes()).isEqualTo(1);
    }

    @Test
    void aHeadlessServiceNameCountsAsOneNodePerAddressInAStableOrder() {
        NodeRing ring = new NodeRing(List.of("ws://gw-nodes.svc:7701/upstream", "ws://other:1/"),
                host -> host.equals("other") ? List.of("127.0.0.9")
                        : List.of("127.0.0.3", "127.0.0.1", "127.0.0.2", "127.0.0.1"));
        refresh(ring);
        assertThat(ring.nodes()).extracting(NodeRing.Node::label).containsExactly(
                "gw-nodes.svc:7701@127.0.0.1", "gw-nodes.svc:7701@127.0.0.2", "gw-nodes.svc:7701@127.0.0.3",
                "other:1@127.0.0.9");
        assertThat(ring.nodes()).extracting(NodeRing.Node::name).containsOnly("gw-nodes.svc:7701", "other:1");
        assertThat(ring.configured()).hasSize(2);
    }

    @Test
    void resolvesAgainOnEveryRefreshAndKeepsWhatItHadWhenANameStopsResolving() {
        Map<String, List<String>> dns = new ConcurrentHashMap<>(Map.of("svc", List.of("127.0.0.1", "127.0.0.2")));
        AtomicInteger lookups = new AtomicInteger();
        NodeRing ring = new NodeRing(List.of("ws://svc:7701/"), host -> {
            lookups.incrementAndGet();
            List<String> addresses = dns.get(host);
            if (addresses == null) {
                throw new UnknownHostException(host);
            }
            return addresses;
        });
        refresh(ring);
        assertThat(ring.nodes()).extracting(NodeRing.Node::address).containsExactly("127.0.0.1", "127.0.0.2");
        dns.put("svc", List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")); // a pod replaced, one added
        refresh(ring);
        assertThat(ring.nodes()).extracting(NodeRing.Node::address).containsExactly("127.0.0.2", "127.0.0.3",
                "127.0.0.4");
        dns.remove("svc"); // a DNS hiccup never empties the ring
        refresh(ring);
        assertThat(ring.nodes()).extracting(NodeRing.Node::address).containsExactly("127.0.0.2", "127.0.0.3",
                "127.0.0.4");
        assertThat(lookups).hasValue(3);
    }

    @Test
    void anUnresolvableNameStaysAsConfiguredSoTheConnectReportsIt() {
        NodeRing ring = new NodeRing(List.of("ws://nowhere:1/"), host -> {
            throw new UnknownHostException(host);
        });
        refresh(ring);
        assertThat(ring.nodes()).singleElement().satisfies(node -> {
            assertThat(node.address()).isNull();
            assertThat(node.server()).isNull();
        });
    }

    @Test
    void concurrentRefreshesAreJoined() {
        AtomicInteger lookups = new AtomicInteger();
        Promise<Void> release = Promise.promise();
        NodeRing ring = new NodeRing(List.of("ws://svc:1/"), host -> {
            lookups.incrementAndGet();
            release.future().toCompletionStage().toCompletableFuture().join();
            return List.of("127.0.0.1");
        });
        Promise<Future<Void>> first = Promise.promise();
        Promise<Future<Void>> second = Promise.promise();
        vertx.runOnContext(v -> {
            first.complete(ring.refresh(vertx));
            second.complete(ring.refresh(vertx));
        });
        Future<Void> a = Futures.await(first.future(), Duration.ofSeconds(5), "first");
        Future<Void> b = Futures.await(second.future(), Duration.ofSeconds(5), "second");
        assertThat(b).isSameAs(a);
        release.complete();
        Futures.await(a, Duration.ofSeconds(5), "refresh");
        assertThat(lookups).hasValue(1);
    }
}
