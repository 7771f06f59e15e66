package io.edgegw.client;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.observe.GatewayMetrics;
import io.edgegw.upstream.UpstreamPool;
import io.vertx.core.Vertx;

/**
 * What every {@link ClientSession} shares: config, the upstream pool, the registry, metrics, tokens, logs. A
 * {@code @Singleton}, not {@code @ApplicationScoped}: sessions call it per frame they write, and a client proxy would
 * look the instance up in its context on every call.
 */
@Singleton
public class SessionServices {

    private static final Logger LOG = Logger.getLogger(SessionServices.class);
    private static final long LOG_WINDOW_MS = 10_000;
    private static final int LOGS_PER_WINDOW = 20;

    private final GatewayConfig config;
    private final UpstreamPool pool;
    private final GatewayMetrics metrics;
    private final ResumeTokens resumeTokens;
    private final SessionRegistry registry;
    private final Vertx vertx;
    private final AtomicLong windowStart = new AtomicLong();
    private final AtomicLong loggedInWindow = new AtomicLong();

    public SessionServices(GatewayConfig config, UpstreamPool pool, GatewayMetrics metrics,
            ResumeTokens resumeTokens, SessionRegistry registry, Vertx vertx) {
        this.resumeTokens = resumeTokens;
        this.registry = registry;
        this.vertx = vertx;
        this.config = config;
        this.pool = pool;
        this.metrics = metrics;
    }

    GatewayConfig config() {
        return config;
    }

    UpstreamPool pool() {
        return pool;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    ResumeTokens resumeTokens() {
        return resumeTokens;
    }

    SessionRegistry registry() {
        return registry;
    }

    Vertx vertx() {
        return vertx;
    }

    /** Logs a client's bad request, at most {@value #LOGS_PER_WINDOW} per 10 s so a flood cannot flood the log. */
    void clientError(String session, ErrorCode code, String message) {
        long now = System.currentTimeMillis();
        long start = windowStart.get();
        if (now - start > LOG_WINDOW_MS && windowStart.compareAndSet(start, now)) {
            loggedInWindow.set(0);
        }
        if (loggedInWindow.incrementAndGet() <= LOGS_PER_WINDOW) {
            LOG.debugf("session %s: %s: %s", session, code.wireName(), message);
        }
    }
}
