package io.edgegw.testkit;

import java.util.HashMap;
import java.util.Map;

import io.edgegw.demo.ReferenceCluster;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

/**
 * Starts a reference cluster of three nodes on real ports (in its own Vert.x, as a real backend would be) before
 * the gateway starts, and points {@code gateway.upstream.nodes} at it. Tests reach it through {@link #cluster()}.
 * Timings are shortened so that failures are seen within a test's patience.
 */
public class ReferenceClusterResource implements QuarkusTestResourceLifecycleManager {

    private static volatile ReferenceCluster cluster;
    private static volatile Vertx vertx;

    public static ReferenceCluster cluster() {
        return cluster;
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        cluster = ReferenceCluster.start(vertx, 3, 100_000);
        Map<String, String> config = new HashMap<>();
        config.put("gateway.upstream.nodes", cluster.nodeUrls());
        config.put("gateway.upstream.backoff.initial", "50ms");
        config.put("gateway.upstream.backoff.max", "500ms");
        config.put("gateway.upstream.heartbeat.interval", "1s");
        config.put("gateway.upstream.heartbeat.timeout", "2s");
        config.put("gateway.fanout.unsub-grace", "200ms");
        config.put("gateway.upstream.send-timeout", "3s");
        return config;
    }

    @Override
    public void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (vertx != null) {
            vertx.close();
        }
    }
}
