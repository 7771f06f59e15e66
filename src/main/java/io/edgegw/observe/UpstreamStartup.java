package io.edgegw.observe;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

import io.edgegw.upstream.UpstreamConnection;
import io.edgegw.upstream.UpstreamPool;
import io.edgegw.upstream.UpstreamState;

/**
 * Startup ({@code /q/health/started}): UP once the first connection round is over, that is once every upstream
 * connection has ended its first attempt (connected, or failed and backing off), whatever the outcome; from then on
 * liveness and readiness take over. Latched: it never goes DOWN again.
 */
@org.eclipse.microprofile.health.Startup
@ApplicationScoped
public class UpstreamStartup implements HealthCheck {

    private final UpstreamPool pool;
    private final GatewayMetrics metrics;
    private volatile boolean started;

    public UpstreamStartup(UpstreamPool pool, GatewayMetrics metrics) {
        this.pool = pool;
        this.metrics = metrics;
    }

    @Override
    public HealthCheckResponse call() {
        List<UpstreamConnection> connections = pool.connections();
        if (!started && !connections.isEmpty() && connections.stream().allMatch(
                c -> metrics.hasEndedAnAttempt(c.name()) || firstAttemptOver(c))) {
            started = true;
        }
        return HealthCheckResponse.named("upstream-first-round").status(started).build();
    }

    /**
     * From the state alone (the transitions seen by {@link GatewayMetrics} say it too): a connection still on its
     * first attempt is idle, probing or connecting with no failure behind it; any later
     * attempt follows a backoff, which counts one ({@code attempt > 0}), and a connection that got connected keeps
     * {@code attempt > 0} once it loses the link.
     */
    static boolean firstAttemptOver(UpstreamConnection connection) {
        UpstreamState state = connection.state();
        boolean onFirstAttempt = (state == UpstreamState.IDLE || state == UpstreamState.PROBING
                || state == UpstreamState.CONNECTING) && connection.attempt() == 0;
        return !onFirstAttempt;
    }
}
