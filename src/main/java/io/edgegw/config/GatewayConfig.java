package io.edgegw.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * Every {@code gateway.*} key. The javadoc of each method is the user-facing documentation of that key; the README
 * table repeats it. Defaults are safe for production.
 */
@ConfigMapping(prefix = "gateway")
public interface GatewayConfig {

    Upstream upstream();

    Client client();

    Session session();

    Fanout fanout();

    /**
     * Origins allowed to open {@code /ws} (exact match on the {@code Origin} header, e.g.
     * {@code https://app.example.com}). {@code *} allows any origin. Unset: any origin is allowed, and a
     * warning is logged at start.
     */
    @WithName("allowed-origins")
    Optional<List<String>> allowedOrigins();

    Shutdown shutdown();

    Auth auth();

    Admin admin();

    Health health();

    Warmup warmup();

    Demo demo();

    interface Upstream {
        /** Node URLs ({@code ws://} or {@code wss://}), tried in order. Required outside the demo profile. */
        Optional<List<String>> nodes();

        /** Size of the upstream connection pool. */
        @WithDefault("2")
        int connections();

        /** Shared secret sent in every {@code hello}. */
        Optional<String> token();

        /** Connections that must be connected for readiness. */
        @WithName("min-connected")
        @WithDefault("1")
        int minConnected();

        /** Time limit for the {@code /health} probe and for the WebSocket handshake, each. */
        @WithName("connect-timeout")
        @WithDefault("5s")
        Duration connectTimeout();

        Backoff backoff();

        Heartbeat heartbeat();

        Tls tls();

        /** Largest jitter before moving to the next node after a node closed with 1000, 1001 or 1012. */
        @WithName("going-away-jitter")
        @WithDefault("250ms")
        Duration goingAwayJitter();

        /** How many browser {@code send}s may wait while no connection is up; past it they fail at once. */
        @WithName("send-queue.capacity")
        @WithDefault("10000")
        int sendQueueCapacity();

        /** How long a browser {@code send} may wait for a node's {@code ack} or {@code nack}, counted from its first attempt. */
        @WithName("send-timeout")
        @WithDefault("10s")
        Duration sendTimeout();
    }

    interface Backoff {
        /** Ceiling of the first reconnect delay. */
        @WithDefault("250ms")
        Duration initial();

        /** Cap of the reconnect delay. */
        @WithDefault("30s")
        Duration max();

        /** Growth of the ceiling per consecutive failure. */
        @WithDefault("2.0")
        double multiplier();

        /** {@code full}, {@code equal} or {@code decorrelated}; see the README. */
        @WithDefault("full")
        String jitter();

        /** A connection that stayed up this long resets the failure count. */
        @WithName("stable-after")
        @WithDefault("30s")
        Duration stableAfter();
    }

    interface Tls {
        /**
         * PEM file with the CA certificate(s) that signed the nodes' certificates, trusted for {@code wss://}
         * nodes. Unset: the JVM's default truststore (the public CAs, or the one {@code javax.net.ssl.trustStore}
         * names). Host names are always verified, unless {@code trust-all}.
         */
        @WithName("ca-file")
        Optional<String> caFile();

        /** Trusts any certificate and skips host name verification. For development only: a warning is logged. */
        @WithName("trust-all")
        @WithDefault("false")
        boolean trustAll();
    }

    interface Heartbeat {
        /** Interval of WebSocket pings on a connected upstream link. */
        @WithDefault("10s")
        Duration interval();

        /** A ping unanswered for this long marks the link dead (half-open TCP) and fails it over. */
        @WithDefault("5s")
        Duration timeout();
    }

    interface Client {
        /** Interval (ms) announced in {@code welcome.heartbeat} at which a quiet client should send {@code ping}. */
        @WithDefault("25s")
        Duration heartbeat();

        /**
         * A browser that sent nothing (not even a {@code ping}) for this long is closed with 1001 (going away: idle
         * timeout). Must be longer than {@link #heartbeat()}; {@code 0} turns it off.
         */
        @WithName("idle-timeout")
        @WithDefault("90s")
        Duration idleTimeout();

        /**
         * Most browser links this gateway serves at once; one more is accepted and closed at once with 1013 (try
         * again later). Links open on different event loops at the same moment may pass it by one each.
         */
        @WithName("max-sessions")
        @WithDefault("65536")
        int maxSessions();

        /** Largest frame accepted from a browser, in bytes; a larger one closes the link with 1009. */
        @WithName("max-frame-size")
        @WithDefault("65536")
        int maxFrameSize();

        /**
         * Most topics and patterns one session may be subscribed to, and separately most patterns in its ignore
         * list ({@code too_many_subscriptions} beyond either).
         */
        @WithName("max-subscriptions")
        @WithDefault("1000")
        int maxSubscriptions();

        /** Requests per second one session may make on average ({@code rate_limited} beyond). */
        @WithName("rate")
        @WithDefault("200")
        int requestRate();

        /**
         * Requests one session may make in a burst. A session that piles up more than this many refusals (each
         * worked off at the allowed rate) is closed with 1008 (repeated abuse).
         */
        @WithName("burst")
        @WithDefault("400")
        int requestBurst();

        /** Most {@code send}s one session may have in flight (waiting for {@code ack}). */
        @WithName("max-inflight-sends")
        @WithDefault("1000")
        int maxInflightSends();

        /**
         * Bytes a session may have written and not yet flushed to its socket; beyond it the session is a slow
         * consumer and is closed with 4002. Also what a session may hold for its recoveries while replays are
         * awaited; past it only the offset ranges held are kept, which the replays fill in.
         */
        @WithName("max-outbound-bytes")
        @WithDefault("4194304")
        int maxOutboundBytes();

        /**
         * Bytes all sessions together may have written and not yet flushed, each event loop taking an equal share;
         * past its share a loop closes with 4002 the sessions that hold more than twice their mean (past twice its
         * share: every session holding anything). Absent: a quarter of the maximum heap.
         */
        @WithName("max-outbound-bytes-total")
        Optional<Long> maxOutboundBytesTotal();
    }

    interface Session {
        /**
         * Key that signs resume tokens (any string; its SHA-256 is the HMAC key). Replicas that share it accept each
         * other's tokens. Unset: a random key per process, so only this process can resume its sessions.
         */
        Optional<String> secret();

        /** How long a disconnected session is held (its upstream {@code close} deferred) for a resume. */
        @WithName("resume-ttl")
        @WithDefault("30s")
        Duration resumeTtl();

        /** How long a resume token stays valid after it was issued in {@code welcome}. */
        @WithName("resume-token-lifetime")
        @WithDefault("24h")
        Duration resumeTokenLifetime();

        /** Frames for a disconnected session ({@code direct}, acks) held for its resume; older ones are dropped. */
        @WithName("held-frames")
        @WithDefault("100")
        int heldFrames();

        /** A newer connection of the same user closes the older one with 4001. */
        @WithName("single-per-user")
        @WithDefault("false")
        boolean singlePerUser();
    }

    interface Fanout {
        /** Initial global ignore patterns. */
        Optional<List<String>> ignore();

        /** How long the upstream {@code sub} outlives the last local subscriber (a quick resubscribe costs nothing). */
        @WithName("unsub-grace")
        @WithDefault("5s")
        Duration unsubGrace();

        /**
         * Batching under load. After a drain of an event loop's queue that took longer than
         * {@code pacing-threshold} and already gave its frames 1.5 messages or more on average, that loop waits
         * {@code pacing} times as long before its next drain, so what arrives meanwhile leaves in fewer, larger
         * frames: less CPU per message for the gateway and for the browsers, at the price of that wait in latency,
         * paid only when the gateway is busy. {@code 0} turns it off.
         */
        @WithDefault("1.0")
        double pacing();

        /** How long a drain must take before {@code pacing} applies; shorter drains are followed at once. */
        @WithName("pacing-threshold")
        @WithDefault("2ms")
        Duration pacingThreshold();

        /**
         * The longest pause {@code pacing} makes while the loop falls behind (its drains stop at their bound with
         * more queued): the most it adds to a message's latency under overload. {@code 0} turns pacing off.
         */
        @WithName("pacing-max")
        @WithDefault("20ms")
        Duration pacingMax();

        /**
         * The longest pause while the loop keeps up (each drain takes all that is queued): what pacing adds to
         * latency at moderate load. Falling behind doubles the cap per drain up to {@code pacing-max}; catching up
         * halves it back.
         */
        @WithName("pacing-max-keeping-up")
        @WithDefault("5ms")
        Duration pacingMaxKeepingUp();

        /**
         * Bound of each event loop's fan-out queue, in bytes: the weight of the topic messages in it (payload plus
         * about 100 bytes each). A loop that finds more queued (it cannot keep up with what the cluster publishes)
         * drops the oldest topic messages until half is left and sends each of their subscribers a {@code gap} frame
         * per topic instead; counted in {@code gateway_messages_dropped_total{reason="overload"}}. More than 0.
         */
        @WithName("max-backlog-bytes")
        @WithDefault("16777216")
        long maxBacklogBytes();

        History history();
    }

    interface History {
        /** Messages kept per subscribed topic to serve {@code since} without asking a node. */
        @WithDefault("100")
        int size();

        /** Age beyond which a kept message no longer serves a recovery. */
        @WithName("max-age")
        @WithDefault("60s")
        Duration maxAge();
    }

    interface Auth {
        /** Require a JWT from browsers, in the query parameter {@code gateway.auth.query-param}. */
        @WithDefault("false")
        boolean enabled();

        /**
         * HMAC secret of HS256 tokens: its UTF-8 bytes are the key, as JWT libraries use a shared secret; at least
         * 32 bytes.
         */
        Optional<String> secret();

        /** PEM public key (RSA or EC) of RS256/ES256 tokens, instead of a secret. */
        @WithName("public-key")
        Optional<String> publicKey();

        /** Required {@code iss} claim, when set. */
        Optional<String> issuer();

        /** Required {@code aud} claim, when set. */
        Optional<String> audience();

        /**
         * The claim listing the topic patterns a user may subscribe to; a token without it may subscribe to any.
         * A subscription must be covered wholly by one of them, else {@code not_allowed}.
         */
        @WithName("topics-claim")
        @WithDefault("topics")
        String topicsClaim();

        /** The query parameter that carries the token (browsers cannot set headers on a WebSocket). */
        @WithName("query-param")
        @WithDefault("token")
        String queryParam();
    }

    interface Shutdown {
        /** How long browsers are spread over when draining. */
        @WithName("drain-period")
        @WithDefault("10s")
        Duration drainPeriod();
    }

    interface Admin {
        /** Bearer token for the admin API; when unset the admin API answers 403. */
        Optional<String> token();
    }

    interface Health {
        /**
         * Liveness fails when an event loop has not run the gateway's heartbeat task for this long (a blocked loop).
         * Keep it well above the longest pause expected under load (GC, a burst of work), so that a short stall does
         * not get the pod restarted.
         */
        @WithName("event-loop-stall")
        @WithDefault("10s")
        Duration eventLoopStall();
    }

    interface Warmup {
        /**
         * Loopback links the gateway opens to its own {@code /ws} at start, before it reports ready, so that the JIT
         * has compiled the link set-up path before browsers arrive: a reconnect storm onto a fresh pod then meets
         * compiled code (10,000 connects took a fresh gateway about twice as long without it, see the benchmark).
         * Each does what a browser does first (welcome, a request and its reply) and they are held open in waves of
         * 1,000. {@code 0}, the default, turns the warm-up off; 50000 takes about 11 s on two cores.
         */
        @WithDefault("0")
        int links();

        /** The longest the warm-up runs; readiness waits for it at most this long. */
        @WithName("max-duration")
        @WithDefault("60s")
        Duration maxDuration();
    }

    interface Demo {
        /** Starts the embedded demo cluster (reference nodes publishing ticks); on in the dev and demo profiles. */
        @WithDefault("false")
        boolean enabled();

        /** Port of the first demo node; the others follow. */
        @WithName("base-port")
        @WithDefault("7701")
        int basePort();

        /** Number of demo nodes. */
        @WithDefault("3")
        int nodes();
    }
}
