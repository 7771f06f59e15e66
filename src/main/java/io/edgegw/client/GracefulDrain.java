package io.edgegw.client;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.observe.Draining;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.vertx.core.Vertx;

/**
 * On shutdown (SIGTERM from the orchestrator): marks the gateway as draining (readiness and {@code /ws/health}
 * answer 503, new browsers are refused with 1012), then closes every browser with 1012 at a random moment within
 * {@code gateway.shutdown.drain-period}, so that they reconnect to the other replicas spread out rather than all at
 * once. It runs in Quarkus' shutdown delay ({@code quarkus.shutdown.delay}, set to the drain period), while the
 * servers still run: the HTTP server would close every WebSocket with 1000 when it stops, and the upstream
 * connections close only after that.
 */
@ApplicationScoped
public class GracefulDrain {

    private static final Logger LOG = Logger.getLogger(GracefulDrain.class);

    private final GatewayConfig config;
    private final SessionRegistry registry;
    private final Draining draining;
    private final Vertx vertx;

    public GracefulDrain(GatewayConfig config, SessionRegistry registry, Draining draining, Vertx vertx) {
        this.config = config;
        this.registry = registry;
        this.draining = draining;
        this.vertx = vertx;
    }

    void drain(@Observes ShutdownDelayInitiatedEvent event) {
        draining.start();
        List<ClientSession> sessions = registry.all();
        // within 90% of the period, so that the last close is written before the delay ends and the server stops
        long spreadMs = config.shutdown().drainPeriod().toMillis() * 9 / 10;
        LOG.infof("draining %d browser session(s) over %d ms", sessions.size(), spreadMs);
        for (ClientSession session : sessions) {
            long delay = 1 + (long) (ThreadLocalRandom.current().nextDouble() * spreadMs);
            vertx.setTimer(delay, t -> session.shard().enqueue((Runnable) () -> {
                session.close(CloseCode.SERVICE_RESTART.code(), "service restart");
                session.shard().flushTouched();
            }));
        }
    }
}
