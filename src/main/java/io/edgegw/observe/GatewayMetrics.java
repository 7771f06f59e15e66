package io.edgegw.observe;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.ToDoubleFunction;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.edgegw.fanout.FanoutListener;
import io.edgegw.fanout.TopicDelivery;
import io.edgegw.upstream.UpstreamState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;

/**
 * Every gateway meter, registered in one place with all its known tag values, so each renders before its first
 * event. Fed by events from the fan-out and the upstream loop, or sampled from state that is cheaper to read than to
 * track; no tag carries a topic or a session. Histograms publish {@code _bucket} series for
 * {@code histogram_quantile}, within bounds that keep the bucket count small.
 */
@ApplicationScoped
public class GatewayMetrics implements FanoutListener {

    public static final List<String> DROP_REASONS = List.of("duplicate", "slow_consumer", "malformed", "overload",
            "unsubscribed", "held_overflow", "recovery_overflow");
    public static final List<String> SEND_OUTCOMES = List.of("acked", "nacked", "expired", "rejected");
    public static final List<String> RECONNECT_CODES = List.of("1000", "1001", "1002", "1006", "1008", "1009", "1011",
            "1012", "1013", "connect_failed", "probe_failed", "pong_timeout", "protocol_error", "other");
    /**
     * Close codes of browser links worth a series of their own; any other is counted as {@code other}. 1005 (no
     * status) covers a link lost without a close frame (a browser sees 1006) as well as a close frame without a
     * code: WebSockets Next reports both alike.
     */
    public static final List<String> CLIENT_CLOSE_CODES = List.of("1000", "1001", "1005", "1008", "1009", "1011",
            "1012", "1013", "4000", "4001", "4002", "4003", "other");
    /** The edges of the upstream state machine, registered at start; an unexpected edge gets its series lazily. */
    static final List<UpstreamState[]> KNOWN_TRANSITIONS = knownTransitions();
    /**
     * Histogram buckets ({@code le}) of the fan-out latency: from 100 µs, where a gateway that keeps up sits, to 5 s,
     * in steps of 2 to 2.5, about what the default buckets of Prometheus client libraries give, fine enough for
     * {@code histogram_quantile} and a small number of series.
     */
    static final Duration[] FANOUT_BUCKETS = millis(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
            5000);
    /** Histogram buckets of upstream connect durations, up to the largest sensible connect timeout. */
    static final Duration[] CONNECT_BUCKETS = millis(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000);
    /** How often state read from the upstream loop (history, pending sends) is sampled. */
    static final long SAMPLE_PERIOD_MS = 1000;

    private final MeterRegistry registry;
    private final Counter received;
    private final Counter delivered;
    private final Counter ignoredGlobal;
    private final Counter ignoredSession;
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> sends = new ConcurrentHashMap<>();
    private final Map<String, Counter> reconnects = new ConcurrentHashMap<>();
    private final Timer fanoutLatency;
    private final Map<UpstreamState, AtomicInteger> upstreamStates = new EnumMap<>(UpstreamState.class);
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger topics = new AtomicInteger();
    private final Counter clientOpens;
    private final Map<String, Counter> clientCloses = new ConcurrentHashMap<>();
    private final Map<String, Counter> transitions = new ConcurrentHashMap<>();
    private final Timer connectSucceeded;
    private final Timer connectFailed;
    /** When each upstream connection entered PROBING, by connection name; written on the upstream loop only. */
    private final Map<String, Long> attemptStartNanos = new ConcurrentHashMap<>();
    /** Connections that have ended at least one attempt (connected, or failed), by name. */
    private final Set<String> attemptEnded = ConcurrentHashMap.newKeySet();
    private final AtomicInteger historyMessages = new AtomicInteger();
    private final AtomicInteger sendsQueued = new AtomicInteger();
    private final AtomicInteger sendsAwaitingAck = new AtomicInteger();
    private final DistributionSummary sessionBacklog;

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        received = Counter.builder("gateway_messages_received").description("Topic messages from upstream")
                .register(registry);
        delivered = Counter.builder("gateway_messages_delivered")
                .description("Topic messages handed to browsers (messages, not frames)").register(registry);
        ignoredGlobal = ignored("global");
        ignoredSession = ignored("session");
        DROP_REASONS.forEach(reason -> dropped.put(reason, Counter.builder("gateway_messages_dropped")
                .description("Topic messages not delivered, by reason").tag("reason", reason).register(registry)));
        SEND_OUTCOMES.forEach(outcome -> sends.put(outcome, Counter.builder("gateway_sends")
                .description("Browser sends, by outcome").tag("outcome", outcome).register(registry)));
        fanoutLatency = Timer.builder("gateway_fanout_latency").description(
                "Upstream frame in to last subscriber write").serviceLevelObjectives(FANOUT_BUCKETS)
                .register(registry);
        for (UpstreamState state : UpstreamState.values()) {
            AtomicInteger count = new AtomicInteger();
            upstreamStates.put(state, count);
            Gauge.builder("gateway_upstream_connections", count, AtomicInteger::get)
                    .description("Upstream connections in each state").tag("state", state.tag()).register(registry);
        }
        Gauge.builder("gateway_sessions", sessions, AtomicInteger::get).description("Open browser sessions")
                .register(registry);
        Gauge.builder("gateway_topics", topics, AtomicInteger::get)
                .description("Topics and patterns with local subscribers").register(registry);

        clientOpens = Counter.builder("gateway_client_opens").description("Browser WebSocket links opened")
                .register(registry);
        CLIENT_CLOSE_CODES.forEach(code -> clientCloses.put(code, Counter.builder("gateway_client_closes")
                .description("Browser WebSocket links closed, by close code (1005: no code, or lost without a close frame)")
                .tag("code", code).register(registry)));
        KNOWN_TRANSITIONS.forEach(edge -> transitionCounter(edge[0], edge[1]));
        connectSucceeded = connectTimer("connected");
        connectFailed = connectTimer("failed");
        Gauge.builder("gateway_history_messages", historyMessages, AtomicInteger::get)
                .description("Topic messages held in the gateway's per-topic history, all topics together")
                .register(registry);
        Gauge.builder("gateway_upstream_pending_sends", sendsQueued, AtomicInteger::get)
                .description("Browser sends not answered yet: queued (no connection up) or awaiting a node's ack")
                .tag("state", "queued").register(registry);
        Gauge.builder("gateway_upstream_pending_sends", sendsAwaitingAck, AtomicInteger::get)
                .description("Browser sends not answered yet: queued (no connection up) or awaiting a node's ack")
                .tag("state", "awaiting_ack").register(registry);
        sessionBacklog = DistributionSummary.builder("gateway_session_outbound_backlog").baseUnit("bytes")
                .description("Bytes written to a browser session and not yet taken by its socket, sampled per "
                        + "session every second")
                .serviceLevelObjectives(1, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216)
                .register(registry);
    }

    /**
     * Removes every gateway meter when the application stops. The registry Quarkus injects is the global composite,
     * which outlives an application in the same JVM (tests restart Quarkus): a gauge left there would keep reading
     * the state of the stopped application.
     */
    @PreDestroy
    void removeMeters() {
        registry.getMeters().stream().filter(meter -> meter.getId().getName().startsWith("gateway_")).toList()
                .forEach(registry::remove);
    }

    private Timer connectTimer(String outcome) {
        return Timer.builder("gateway_upstream_connect_duration")
                .description("Upstream connection attempts, from the start of the health probe to the node's "
                        + "welcome (connected) or to the failure (failed)")
                .tag("outcome", outcome).serviceLevelObjectives(CONNECT_BUCKETS).register(registry);
    }

    private static Duration[] millis(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1_000_000));
        }
        return durations;
    }

    private static List<UpstreamState[]> knownTransitions() {
        UpstreamState idle = UpstreamState.IDLE;
        UpstreamState probing = UpstreamState.PROBING;
        UpstreamState connecting = UpstreamState.CONNECTING;
        UpstreamState connected = UpstreamState.CONNECTED;
        UpstreamState backoff = UpstreamState.BACKOFF;
        UpstreamState draining = UpstreamState.DRAINING;
        return List.of(new UpstreamState[] { idle, probing }, new UpstreamState[] { probing, connecting },
                new UpstreamState[] { probing, backoff }, new UpstreamState[] { connecting, connected },
                new UpstreamState[] { connecting, backoff }, new UpstreamState[] { connected, backoff },
                new UpstreamState[] { backoff, probing }, new UpstreamState[] { idle, draining },
                new UpstreamState[] { probing, draining }, new UpstreamState[] { connecting, draining },
                new UpstreamState[] { connected, draining }, new UpstreamState[] { backoff, draining },
                new UpstreamState[] { draining, UpstreamState.CLOSED });
    }

    private Counter transitionCounter(UpstreamState from, UpstreamState to) {
        return transitions.computeIfAbsent(from.tag() + '|' + to.tag(), key -> Counter
                .builder("gateway_upstream_transitions").description("Upstream connection state changes")
                .tag("from", from.tag()).tag("to", to.tag()).register(registry));
    }

    private Counter ignored(String scope) {
        return Counter.builder("gateway_messages_ignored").description("Topic messages held back by an ignore list")
                .tag("scope", scope).register(registry);
    }

    /** Registers the reconnect counters of a node with every known code, so they render at zero. */
    public void registerNode(String node) {
        RECONNECT_CODES.forEach(code -> reconnectCounter(node, code));
    }

    public void reconnect(String node, String code) {
        reconnectCounter(node, RECONNECT_CODES.contains(code) ? code : "other").increment();
    }

    private Counter reconnectCounter(String node, String code) {
        return reconnects.computeIfAbsent(node + '|' + code, key -> Counter.builder("gateway_upstream_reconnects")
                .description("Upstream connection losses and failed attempts, by node and close code")
                .tag("node", node).tag("code", code).register(registry));
    }

    /** A connection was created ({@code from} null) or changed state; keeps the state gauge exact. */
    public void upstreamTransition(UpstreamState from, UpstreamState to) {
        if (from != null) {
            upstreamStates.get(from).decrementAndGet();
        }
        upstreamStates.get(to).incrementAndGet();
    }

    /**
     * A connection changed state: the state gauge, the transition counter and, when an attempt ends, its
     * duration. Called on the upstream loop.
     */
    public void upstreamTransition(String connection, UpstreamState from, UpstreamState to) {
        upstreamTransition(from, to);
        if (from == null || from == to) {
            return;
        }
        transitionCounter(from, to).increment();
        if (to == UpstreamState.PROBING) {
            attemptStartNanos.put(connection, System.nanoTime());
        } else if (to == UpstreamState.CONNECTED || to == UpstreamState.BACKOFF || to == UpstreamState.DRAINING) {
            attemptEnded.add(connection);
            Long start = attemptStartNanos.remove(connection);
            if (start != null) {
                (to == UpstreamState.CONNECTED ? connectSucceeded : connectFailed)
                        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Whether the connection of that name has ended an attempt (connected, or failed) since start. */
    public boolean hasEndedAnAttempt(String connection) {
        return attemptEnded.contains(connection);
    }

    public void clientOpened() {
        clientOpens.increment();
    }

    public void clientClosed(int code) {
        Counter counter = clientCloses.get(String.valueOf(code));
        (counter == null ? clientCloses.get("other") : counter).increment();
    }

    /** One session's unflushed bytes, as sampled. */
    public void sessionBacklog(long bytes) {
        sessionBacklog.record(bytes);
    }

    /**
     * Samples, every {@value #SAMPLE_PERIOD_MS} ms on the upstream loop {@code context}, state confined to it: the
     * messages held in history, and the sends queued and awaiting an ack.
     */
    public void sampleUpstream(Context context, IntSupplier heldMessages, IntSupplier queuedSends,
            IntSupplier pendingSends) {
        context.runOnContext(ignored -> context.owner().setPeriodic(SAMPLE_PERIOD_MS, timer -> {
            historyMessages.set(heldMessages.getAsInt());
            int queued = queuedSends.getAsInt();
            sendsQueued.set(queued);
            sendsAwaitingAck.set(Math.max(0, pendingSends.getAsInt() - queued));
        }));
    }

    public void received() {
        received.increment();
    }

    public void ignoredGlobal() {
        ignoredGlobal.increment();
    }

    public void dropped(String reason, long count) {
        dropped.get(reason).increment(count);
    }

    public void send(String outcome) {
        sends.get(outcome).increment();
    }

    public AtomicInteger sessions() {
        return sessions;
    }

    public AtomicInteger topics() {
        return topics;
    }

    @Override
    public void delivered(long deliveries, List<TopicDelivery> messages) {
        delivered.increment(deliveries);
        long now = System.nanoTime();
        for (int i = 0; i < messages.size(); i++) {
            TopicDelivery message = messages.get(i);
            if (!message.isControl()) { // gaps are made here, not received: no upstream time to measure from
                fanoutLatency.record(now - message.receivedNanos(), TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public void ignoredBySession(long count) {
        ignoredSession.increment(count);
    }

    @Override
    public void shed(long count) {
        dropped("overload", count);
    }

    /** Registers a gauge read from live state (for counts that are cheaper to read than to track). */
    public <T> void gauge(String name, String description, T state, ToDoubleFunction<T> reader) {
        Gauge.builder(name, state, reader).description(description).register(registry);
    }
}
