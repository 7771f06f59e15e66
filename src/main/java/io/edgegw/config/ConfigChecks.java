package io.edgegw.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.runtime.StartupEvent;

/**
 * Values that would start a gateway unable to become healthy or to serve, refused at start with every bad key named:
 * without this, {@code gateway.upstream.connections=0} left the startup probe down for ever, a {@code min-connected}
 * above the connections kept readiness down, a zero {@code event-loop-stall} failed liveness on any lag, a zero
 * {@code connect-timeout} or heartbeat interval threw inside a Vert.x timer and left the link stuck, and a zero rate,
 * burst or frame size refused every browser, each with nothing in the log. Keys that other classes check as they
 * read them (backoff, jitter, pacing, the outbound budget, the idle timeout, auth keys) are not repeated here.
 */
@Singleton
public class ConfigChecks {

    /**
     * The smallest browser frame limit: a {@code subscribe} with a resume position for one long topic name needs a
     * few hundred bytes, and below that every browser would be closed with 1009.
     */
    static final int MIN_FRAME_SIZE = 1024;

    /** WebSockets Next keys the gateway sets itself on the browser port (BrowserServerOptions). */
    static final String COMPRESSION_KEY = "quarkus.websockets-next.server.per-message-compression-supported";
    static final List<String> FRAME_SIZE_KEYS = List.of("quarkus.websockets-next.server.max-frame-size",
            "quarkus.websockets-next.server.max-message-size");

    void check(@Observes @Priority(1) StartupEvent event, GatewayConfig config) {
        List<String> problems = problems(config);
        problems.addAll(overriddenFrameworkKeys(ConfigProvider.getConfig()));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    static List<String> problems(GatewayConfig config) {
        Problems problems = new Problems();
        GatewayConfig.Upstream upstream = config.upstream();
        problems.atLeast("gateway.upstream.connections", upstream.connections(), 1);
        if (upstream.minConnected() < 0 || upstream.minConnected() > Math.max(upstream.connections(), 0)) {
            problems.add("gateway.upstream.min-connected must be between 0 and gateway.upstream.connections ("
                    + upstream.connections() + "): " + upstream.minConnected());
        }
        problems.timer("gateway.upstream.connect-timeout", upstream.connectTimeout());
        problems.notNegative("gateway.upstream.going-away-jitter", upstream.goingAwayJitter());
        problems.atLeast("gateway.upstream.send-queue.capacity", upstream.sendQueueCapacity(), 1); // counts every send
        problems.timer("gateway.upstream.send-timeout", upstream.sendTimeout());
        problems.timer("gateway.upstream.heartbeat.interval", upstream.heartbeat().interval());
        problems.timer("gateway.upstream.heartbeat.timeout", upstream.heartbeat().timeout());
        problems.notNegative("gateway.upstream.backoff.stable-after", upstream.backoff().stableAfter());

        GatewayConfig.Client client = config.client();
        problems.timer("gateway.client.heartbeat", client.heartbeat());
        problems.atLeast("gateway.client.max-sessions", client.maxSessions(), 1);
        problems.atLeast("gateway.client.max-frame-size", client.maxFrameSize(), MIN_FRAME_SIZE);
        problems.atLeast("gateway.client.max-subscriptions", client.maxSubscriptions(), 1);
        problems.atLeast("gateway.client.rate", client.requestRate(), 1);
        problems.atLeast("gateway.client.burst", client.requestBurst(), 1);
        problems.atLeast("gateway.client.max-inflight-sends", client.maxInflightSends(), 1);
        problems.atLeast("gateway.client.max-outbound-bytes", client.maxOutboundBytes(), 1);

        GatewayConfig.Session session = config.session();
        problems.timer("gateway.session.resume-ttl", session.resumeTtl());
        if (session.resumeTokenLifetime().getSeconds() < 1) { // tokens carry whole seconds
            problems.add("gateway.session.resume-token-lifetime must be at least 1s: " + session.resumeTokenLifetime());
        }
        problems.atLeast("gateway.session.held-frames", session.heldFrames(), 1); // 0: every held frame threw

        GatewayConfig.Fanout fanout = config.fanout();
        problems.notNegative("gateway.fanout.unsub-grace", fanout.unsubGrace());
        problems.notNegative("gateway.fanout.pacing-threshold", fanout.pacingThreshold());
        problems.notNegative("gateway.fanout.pacing-max", fanout.pacingMax());
        problems.notNegative("gateway.fanout.pacing-max-keeping-up", fanout.pacingMaxKeepingUp());
        problems.atLeast("gateway.fanout.history.size", fanout.history().size(), 0);
        problems.notNegative("gateway.fanout.history.max-age", fanout.history().maxAge()); // 0: history off

        problems.notNegative("gateway.shutdown.drain-period", config.shutdown().drainPeriod());
        problems.timer("gateway.health.event-loop-stall", config.health().eventLoopStall());
        problems.atLeast("gateway.warmup.links", config.warmup().links(), 0);
        problems.timer("gateway.warmup.max-duration", config.warmup().maxDuration());
        if (config.demo().enabled()) {
            problems.atLeast("gateway.demo.nodes", config.demo().nodes(), 1);
            int lastPort = config.demo().basePort() + Math.max(config.demo().nodes(), 1) - 1;
            if (config.demo().basePort() < 1 || lastPort > 65535) {
                problems.add("gateway.demo.base-port must leave room for gateway.demo.nodes ports within 1..65535: "
                        + config.demo().basePort());
            }
        }
        return problems.list;
    }

    /**
     * Keys of WebSockets Next that would fight the gateway's own server options: which of the two customizers runs
     * last is not defined, so the outcome would depend on bean order, not on the configuration.
     */
    static List<String> overriddenFrameworkKeys(Config config) {
        List<String> problems = new ArrayList<>();
        if (config.getOptionalValue(COMPRESSION_KEY, Boolean.class).orElse(false)) {
            problems.add(COMPRESSION_KEY + " is not supported: the gateway writes one encoded frame to every "
                    + "subscriber, which per-message compression would redo per browser");
        }
        for (String key : FRAME_SIZE_KEYS) {
            config.getOptionalValue(key, String.class).ifPresent(value -> problems.add(key + " is set from "
                    + "gateway.client.max-frame-size: set that instead (" + value + ")"));
        }
        return problems;
    }

    private static final class Problems {
        private final List<String> list = new ArrayList<>();

        void add(String problem) {
            list.add(problem);
        }

        void atLeast(String key, long value, long min) {
            if (value < min) {
                add(key + " must be at least " + min + ": " + value);
            }
        }

        /** A duration a Vert.x timer is set from: Vert.x refuses delays below one millisecond. */
        void timer(String key, Duration value) {
            if (value.toMillis() < 1) {
                add(key + " must be at least 1ms: " + value);
            }
        }

        void notNegative(String key, Duration value) {
            if (value.isNegative()) {
                add(key + " must not be negative: " + value);
            }
        }
    }
}
