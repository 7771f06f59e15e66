package io.edgegw.observe;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.edgegw.client.LinkWarmup;

/**
 * Readiness ({@code /q/health/ready}): DOWN while the start-up warm-up runs ({@link LinkWarmup}), so that a fresh
 * pod gets browsers only once its link set-up path is compiled; at most {@code gateway.warmup.max-duration}.
 */
@Readiness
@ApplicationScoped
public class WarmupReadiness implements HealthCheck {

    private final LinkWarmup warmup;

    public WarmupReadiness(LinkWarmup warmup) {
        this.warmup = warmup;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("warm-up").withData("links", warmup.linksCompleted())
                .withData("planned", warmup.linksPlanned()).status(warmup.isOver()).build();
    }
}
