package io.edgegw.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.edgegw.config.EventLoopSizing;
import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.FanoutShard;
import io.edgegw.observe.GatewayMetrics;
import io.edgegw.upstream.UpstreamPool;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;

/**
 * What every {@link ClientSession} shares: config, the upstream pool, the registry, metrics, tokens, logs. A
 * {@code @Singleton}, not {@code @ApplicationScoped}: sessions call it per frame they write, and a client proxy would
 * look the instance up in its context on every call. Built at startup, so that a bad outbound budget fails it and
 * its gauge is scraped before the first browser connects.
 */
@Startup
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
    private final Map<FanoutShard, OutboundBudget> budgets = new ConcurrentHashMap<>();
    private final long budgetShare;
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
        long total = config.client().maxOutboundBytesTotal().orElse(Runtime.getRuntime().maxMemory() / 4);
        if (total <= 0) {
            throw new IllegalArgumentException("gateway.client.max-outbound-bytes-total must be more than 0: " + total);
        }
        this.budgetShare = Math.max(1, total / EventLoopSizing.eventLoops());
        metrics.gauge("gateway_outbound_bytes",
                "Bytes written to browsers and not yet taken by their sockets, all sessions together", budgets,
                all -> all.values().stream().mapToLong(OutboundBudget::unflushed).sum());
    }

    /** The outbound budget of the loop of {@code shard}; once per session, at its opening. */
    OutboundBudget budget(FanoutShard shard) {
        return budgets.computeIfAbsent(shard, ignored -> new OutboundBudget(budgetShare));
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
