package io.edgegw.observe;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Whether the gateway is draining: it is leaving (shutdown, rollout) and spreads its browsers out over
 * {@code gateway.shutdown.drain-period}. While draining, readiness ({@code /q/health/ready}) and the public probe
 * ({@code /ws/health}) answer 503, so that the orchestrator and browsers send new links elsewhere; liveness is not
 * affected. Off until whoever starts the drain calls {@link #start()}; {@link #cancel()} ends a drain that was called
 * off before shutdown. Safe from any thread.
 */
@ApplicationScoped
public class Draining {

    private volatile boolean draining;

    /** Marks the gateway as draining; idempotent. */
    public void start() {
        draining = true;
    }

    /** Ends a drain that was called off (the gateway takes new browsers again); idempotent. */
    public void cancel() {
        draining = false;
    }

    public boolean isDraining() {
        return draining;
    }
}
