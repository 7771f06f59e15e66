package io.edgegw.client;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.observe.Draining;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;

/**
 * On shutdown (SIGTERM from the orchestrator), before the upstream connections close: marks the gateway as
 * draining (readiness and {@code /ws/health} answer 503, new browsers are refused with 1012), then closes every
 * browser with 1012 at a random moment within {@code gateway.shutdown.drain-period}, so that they reconnect to the
 * other replicas spread out rather than all at once.
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

    void drain(@Observes @Priority(10) ShutdownEvent event) throws InterruptedException {
        draining.start();
        List<ClientSession> sessions = registry.all();
        long periodMs = config.shutdown().drainPeriod().toMillis();
        LOG.infof("draining %d browser session(s) over %d ms", sessions.size(), periodMs);
        CountDownLatch closed = new CountDownLatch(sessions.size());
        for (ClientSession session : sessions) {
            long delay = 1 + (long) (ThreadLocalRandom.current().nextDouble() * periodMs);
            vertx.setTimer(delay, t -> session.shard().enqueue((Runnable) () -> {
                session.close(CloseCode.SERVICE_RESTART.code(), "service restart");
                session.shard().flushTouched();
                closed.countDown();
            }));
        }
        if (!closed.await(periodMs + 2_000, TimeUnit.MILLISECONDS)) {
            LOG.warnf("drain period over with %d session(s) not yet closed", closed.getCount());
        }
    }
}
