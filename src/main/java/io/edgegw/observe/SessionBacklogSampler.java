package io.edgegw.observe;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.edgegw.client.ClientSession;
import io.edgegw.client.SessionRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Records every open session's outbound backlog (bytes written and not yet taken by its socket) into
 * {@code gateway_session_outbound_backlog_bytes} once a second: the distribution over sessions shows slow consumers
 * building up before they cross {@code gateway.client.max-outbound-bytes} and are closed with 4002. Sampling keeps
 * the per-message path free of metrics work; a sample may be a few microseconds stale, which a distribution does not
 * mind.
 */
@ApplicationScoped
public class SessionBacklogSampler {

    static final long PERIOD_MS = 1000;

    private final Vertx vertx;
    private final SessionRegistry registry;
    private final GatewayMetrics metrics;
    private long timer = -1;

    public SessionBacklogSampler(Vertx vertx, SessionRegistry registry, GatewayMetrics metrics) {
        this.vertx = vertx;
        this.registry = registry;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(PERIOD_MS, id -> sample());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void sample() {
        for (ClientSession session : registry.sessions()) {
            metrics.sessionBacklog(session.outboundBacklog());
        }
    }
}
