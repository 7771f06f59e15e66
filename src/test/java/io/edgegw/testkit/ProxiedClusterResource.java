package io.edgegw.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.demo.ReferenceNode;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

/**
 * A reference cluster of three nodes with a fault-injecting {@link TcpProxy} in front of each, started before the
 * gateway, which knows the nodes only by their proxies: {@code gateway.upstream.nodes} lists
 * {@code ws://127.0.0.1:<proxy port>/upstream} in node order, so {@code proxy(i)} fronts {@code cluster().node(i)}.
 * Probes ({@code GET /health}) go through the proxies too.
 *
 * <p>The gateway runs one upstream connection, so "the active node" is well defined; timings are in milliseconds
 * (heartbeat interval and timeout 200 ms, backoff 50 ms to 400 ms, stable after 1 ms so that each failover of a
 * test starts from attempt 0, send time limit 2 s, send queue of 4) so that every failure is seen within a test's
 * patience. Test classes that share this resource share one gateway.
 */
public class ProxiedClusterResource implements QuarkusTestResourceLifecycleManager {

    public static final long HEARTBEAT_INTERVAL_MS = 200;
    public static final long HEARTBEAT_TIMEOUT_MS = 200;
    public static final long BACKOFF_INITIAL_MS = 50;
    public static final long BACKOFF_MAX_MS = 400;
    public static final long GOING_AWAY_JITTER_MS = 20;
    public static final long SEND_TIMEOUT_MS = 2000;
    public static final int SEND_QUEUE_CAPACITY = 4;

    /** The cluster and proxies of the gateway started last (one runs at a time). */
    private static volatile ReferenceCluster cluster;
    private static volatile List<TcpProxy> proxies = List.of();

    private Vertx vertx;
    private ReferenceCluster ownCluster;
    private List<TcpProxy> ownProxies = List.of();

    public static ReferenceCluster cluster() {
        return cluster;
    }

    public static List<TcpProxy> proxies() {
        return proxies;
    }

    public static TcpProxy proxy(int node) {
        return proxies.get(node);
    }

    /** The index of the node whose proxy listens on {@code port}, or -1. */
    public static int nodeBehindPort(int port) {
        for (int i = 0; i < proxies.size(); i++) {
            if (proxies.get(i).port() == port) {
                return i;
            }
        }
        return -1;
    }

    /** Every proxy relays again and every node is up and healthy: the state each test starts from. */
    public static void heal() {
        for (TcpProxy proxy : proxies) {
            proxy.refuse(false);
            proxy.blackhole(false);
        }
        for (ReferenceNode node : cluster.nodes()) {
            node.setHealthy(true);
            node.onSend(null);
            Futures.await(node.start(), java.time.Duration.ofSeconds(10), "start of node " + node.id());
        }
    }

    /** Upstream connections of the gateway; a subclass may change it (and gets its own gateway). */
    protected int connections() {
        return 1;
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        ownCluster = ReferenceCluster.start(vertx, 3, 100_000);
        List<TcpProxy> started = new ArrayList<>();
        for (ReferenceNode node : ownCluster.nodes()) {
            started.add(TcpProxy.start("127.0.0.1", node.port()));
        }
        ownProxies = List.copyOf(started);
        cluster = ownCluster;
        proxies = ownProxies;
        Map<String, String> config = new HashMap<>();
        config.put("gateway.upstream.nodes", ownProxies.stream()
                .map(proxy -> "ws://127.0.0.1:" + proxy.port() + "/upstream").collect(Collectors.joining(",")));
        config.put("gateway.upstream.connections", String.valueOf(connections()));
        // random ports: these tests must not collide with another gateway on the machine (GatewayUrls reads them)
        config.put("quarkus.http.test-port", "0");
        config.put("quarkus.management.test-port", "0");
        config.put("gateway.upstream.connect-timeout", "1s");
        config.put("gateway.upstream.heartbeat.interval", HEARTBEAT_INTERVAL_MS + "ms");
        config.put("gateway.upstream.heartbeat.timeout", HEARTBEAT_TIMEOUT_MS + "ms");
        config.put("gateway.upstream.backoff.initial", BACKOFF_INITIAL_MS + "ms");
        config.put("gateway.upstream.backoff.max", BACKOFF_MAX_MS + "ms");
        config.put("gateway.upstream.backoff.stable-after", "1ms");
        config.put("gateway.upstream.going-away-jitter", GOING_AWAY_JITTER_MS + "ms");
        config.put("gateway.upstream.send-timeout", SEND_TIMEOUT_MS + "ms");
        config.put("gateway.upstream.send-queue.capacity", String.valueOf(SEND_QUEUE_CAPACITY));
        return config;
    }

    @Override
    public void stop() {
        ownProxies.forEach(TcpProxy::close);
        if (ownCluster != null) {
            ownCluster.close();
        }
        if (vertx != null) {
            vertx.close();
        }
    }

    /** The same, with two upstream connections: for placement moving at once to the connection still up. */
    public static class TwoConnections extends ProxiedClusterResource {
        @Override
        protected int connections() {
            return 2;
        }
    }
}
