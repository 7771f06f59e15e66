package io.edgegw.client;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.edgegw.config.GatewayConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Closes with 1001 (going away: idle timeout) the browsers that sent nothing for {@code gateway.client.idle-timeout}.
 * A browser that follows the protocol pings after {@code welcome.heartbeat} of quiet and never gets here; one that
 * does not, or whose page is gone while its link lingers, is told to come back when it has something to do. Every
 * quarter of the timeout one pass over the sessions finds the candidates off the loops; each is checked again, and
 * closed, on its own loop. So a browser is closed between one and one and a quarter timeouts after its last request.
 */
@ApplicationScoped
public class IdleSessions {

    private final Vertx vertx;
    private final SessionRegistry registry;
    private final Duration timeout;
    private final Duration heartbeat;
    private long timer = -1;

    public IdleSessions(Vertx vertx, SessionRegistry registry, GatewayConfig config) {
        this.vertx = vertx;
        this.registry = registry;
        this.timeout = config.client().idleTimeout();
        this.heartbeat = config.client().heartbeat();
    }

    void start(@Observes StartupEvent event) {
        requireLongerThanHeartbeat(timeout, heartbeat);
        if (!timeout.isZero()) {
            timer = vertx.setPeriodic(Math.max(1, timeout.toMillis() / 4), id -> sweep());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** A timeout at or below the heartbeat would close every browser that pings as it is told to. */
    static void requireLongerThanHeartbeat(Duration timeout, Duration heartbeat) {
        if (timeout.isNegative() || (!timeout.isZero() && timeout.compareTo(heartbeat) <= 0)) {
            throw new IllegalArgumentException("gateway.client.idle-timeout (" + timeout + ") must be 0 (off) or longer"
                    + " than gateway.client.heartbeat (" + heartbeat + "), which browsers ping at");
        }
    }

    private void sweep() {
        long limit = timeout.toNanos();
        long now = System.nanoTime();
        for (ClientSession session : registry.sessions()) {
            if (session.quietFor(now) >= limit) {
                session.shard().enqueue((Runnable) () -> session.closeIfIdle(limit));
            }
        }
    }
}
