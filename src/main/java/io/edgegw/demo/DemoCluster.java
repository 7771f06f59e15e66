package io.edgegw.demo;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * The embedded demo: when {@code gateway.demo.enabled} is true, starts a {@link ReferenceCluster} on
 * {@code gateway.demo.base-port}.. (one port per node) and a {@link DemoPublisher} feeding it, before the gateway's
 * own startup observers run (priority 10), and stops both at shutdown. Startup and shutdown run on the main thread,
 * where the cluster's blocking waits are allowed.
 */
@ApplicationScoped
public class DemoCluster {

    private static final Logger LOG = Logger.getLogger(DemoCluster.class);

    /** History each topic keeps for replays in the demo. */
    static final int HISTORY_SIZE = 1_000;

    @Inject
    Vertx vertx;

    @ConfigProperty(name = "gateway.demo.enabled", defaultValue = "false")
    boolean enabled;

    @ConfigProperty(name = "gateway.demo.base-port", defaultValue = "7701")
    int basePort;

    @ConfigProperty(name = "gateway.demo.nodes", defaultValue = "3")
    int nodes;

    private ReferenceCluster cluster;
    private DemoPublisher publisher;

    void start(@Observes @Priority(10) StartupEvent event) {
        if (!enabled) {
            return;
        }
        cluster = ReferenceCluster.start(vertx, nodes, HISTORY_SIZE, basePort, null);
        publisher = new DemoPublisher(vertx, cluster);
        publisher.start();
        LOG.infof("demo cluster of %d reference nodes started: %s", nodes, cluster.nodeUrls());
    }

    void stop(@Observes ShutdownEvent event) {
        if (publisher != null) {
            publisher.stop();
            publisher = null;
        }
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    /** The running demo cluster, empty when the demo is disabled. */
    public Optional<ReferenceCluster> cluster() {
        return Optional.ofNullable(cluster);
    }
}
