package io.edgegw.observe;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import io.edgegw.config.GatewayConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Liveness ({@code /q/health/live}): DOWN only when an event loop has made no progress for
 * {@code gateway.health.event-loop-stall} (a blocked loop, which no restart-free recovery will fix), never because
 * a backend is down. A short stall under load stays well below the threshold. The data lists each loop's lag in ms.
 * Also publishes the largest lag as {@code gateway_event_loop_lag_seconds}.
 */
@Liveness
@ApplicationScoped
public class EventLoopLiveness implements HealthCheck {

    private final Vertx vertx;
    private final Duration threshold;
    private final MeterRegistry registry;
    private volatile EventLoopHeartbeat heartbeat;

    public EventLoopLiveness(Vertx vertx, GatewayConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        this.threshold = config.health().eventLoopStall();
        this.registry = registry;
    }

    void start(@Observes StartupEvent event) {
        EventLoopHeartbeat started = new EventLoopHeartbeat(vertx, EventLoopHeartbeat.intervalFor(threshold));
        heartbeat = started;
        Gauge.builder("gateway_event_loop_lag", started, beat -> beat.maxLagNanos() / 1e9).baseUnit("seconds")
                .description("How long the most delayed event loop has kept a heartbeat task waiting")
                .register(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        EventLoopHeartbeat started = heartbeat;
        if (started != null) {
            started.close();
        }
    }

    @Override
    public HealthCheckResponse call() {
        EventLoopHeartbeat started = heartbeat;
        // not started yet: the startup probe covers this time
        return report(started == null ? List.of() : started.lags(), threshold);
    }

    /** UP unless a loop's lag exceeds {@code threshold}; the data holds every loop's lag in ms. */
    static HealthCheckResponse report(List<EventLoopHeartbeat.Lag> lags, Duration threshold) {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("event-loops")
                .withData("stallThresholdMs", threshold.toMillis());
        boolean stalled = false;
        for (EventLoopHeartbeat.Lag lag : lags) {
            response.withData(lag.loop() + ".lagMs", lag.lagNanos() / 1_000_000);
            stalled |= lag.lagNanos() > threshold.toNanos();
        }
        return response.status(!stalled).build();
    }
}
