package io.edgegw.observe;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.edgegw.config.GatewayConfig;
import io.edgegw.upstream.UpstreamConnection;
import io.edgegw.upstream.UpstreamPool;

/**
 * Readiness ({@code /q/health/ready}): UP while at least {@code gateway.upstream.min-connected} upstream connections
 * are connected and the gateway is not {@link Draining draining}. The data shows each connection's state and node,
 * read from the pool's snapshot (safe from any thread).
 */
@Readiness
@ApplicationScoped
public class UpstreamReadiness implements HealthCheck {

    private final UpstreamPool pool;
    private final Draining draining;
    private final int minConnected;

    public UpstreamReadiness(UpstreamPool pool, Draining draining, GatewayConfig config) {
        this.pool = pool;
        this.draining = draining;
        this.minConnected = config.upstream().minConnected();
    }

    @Override
    public HealthCheckResponse call() {
        long connected = 0;
        HealthCheckResponseBuilder response = HealthCheckResponse.named("upstream");
        for (UpstreamConnection connection : pool.connections()) {
            if (connection.isConnected()) {
                connected++;
            }
            response.withData(connection.name(), connection.state().tag() + " " + connection.node().url());
        }
        boolean isDraining = draining.isDraining();
        return response.withData("connected", connected).withData("minConnected", minConnected)
                .withData("draining", isDraining).status(connected >= minConnected && !isDraining).build();
    }
}
