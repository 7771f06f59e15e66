package io.edgegw.observe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.TcpProxy;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

/**
 * Three reference nodes, each behind a fault-injecting {@link TcpProxy}, and a gateway with two upstream connections
 * that knows the nodes only by their proxies ({@code proxy(i)} fronts {@code cluster().node(i)}; probes go through
 * them too). Timings are short so that a cut link is back within a test's patience; the admin API is on with
 * {@link #ADMIN_TOKEN}. Test classes that share this resource share one gateway, so each test ends with {@link #heal()}.
 */
public class ObservabilityClusterResource implements QuarkusTestResourceLifecycleManager {

    public static final String ADMIN_TOKEN = "observability-admin";
    public static final int CONNECTIONS = 2;

    private static volatile ReferenceCluster cluster;
    private static volatile List<TcpProxy> proxies = List.of();
    private static volatile Vertx vertx;

    public static ReferenceCluster cluster() {
        return cluster;
    }

    public static List<TcpProxy> proxies() {
        return proxies;
    }

    /** The URL the gateway knows node {@code i} by (its proxy). */
    public static String nodeUrl(int i) {
        return "ws://127.0.0.1:" + proxies.get(i).port() + "/upstream";
    }

    /** The value of the {@code node} tag of node {@code i} (host and port of its proxy). */
    public static String nodeTag(int i) {
        return "127.0.0.1:" + proxies.get(i).port();
    }

    /** Every proxy relays again. */
    public static void heal() {
        proxies.forEach(proxy -> proxy.refuse(false));
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        cluster = ReferenceCluster.start(vertx, 3, 100_000);
        List<TcpProxy> started = new ArrayList<>();
        for (ReferenceNode node : cluster.nodes()) {
            started.add(TcpProxy.start("127.0.0.1", node.port()));
        }
        proxies = List.copyOf(started);
        Map<String, String> config = new HashMap<>();
        config.put("gateway.upstream.nodes", IntStream.range(0, proxies.size())
                .mapToObj(ObservabilityClusterResource::nodeUrl).collect(Collectors.joining(",")));
        config.put("gateway.upstream.connections", String.valueOf(CONNECTIONS));
        config.put("gateway.upstream.connect-timeout", "1s");
        config.put("gateway.upstream.heartbeat.interval", "500ms");
        config.put("gateway.upstream.heartbeat.timeout", "1s");
        config.put("gateway.upstream.backoff.initial", "50ms");
        config.put("gateway.upstream.backoff.max", "300ms");
        config.put("gateway.upstream.going-away-jitter", "20ms");
        config.put("gateway.fanout.unsub-grace", "100ms");
        config.put("gateway.admin.token", ADMIN_TOKEN);
        return config;
    }

    @Override
    public void stop() {
        proxies.forEach(TcpProxy::close);
        if (cluster != null) {
            cluster.close();
        }
        if (vertx != null) {
            vertx.close();
        }
    }

    static Duration patience() {
        return Duration.ofSeconds(15);
    }
}
