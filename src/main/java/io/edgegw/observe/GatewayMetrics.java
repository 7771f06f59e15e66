package io.edgegw.observe;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgegw.fanout.FanoutListener;
import io.edgegw.fanout.TopicDelivery;
import io.edgegw.upstream.UpstreamState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Every gateway meter, registered in one place with all its known tag values, so each renders before its first
 * event. Fed by events from the fan-out and the upstream loop; no tag carries a topic or a session.
 */
@ApplicationScoped
public class GatewayMetrics implements FanoutListener {

    public static final List<String> DROP_REASONS = List.of("duplicate", "slow_consumer", "malformed");
    public static final List<String> SEND_OUTCOMES = List.of("acked", "nacked", "expired", "rejected");
    public static final List<String> RECONNECT_CODES = List.of("1000", "1001", "1006", "1008", "1011", "1012",
            "connect_failed", "probe_failed", "pong_timeout", "protocol_error", "other");

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
                "Upstream frame in to last subscriber write").publishPercentileHistogram().register(registry);
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

    public void upstreamTransition(UpstreamState from, UpstreamState to) {
        if (from != null) {
            upstreamStates.get(from).decrementAndGet();
        }
        upstreamStates.get(to).incrementAndGet();
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
            fanoutLatency.record(now - messages.get(i).receivedNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void ignoredBySession(long count) {
        ignoredSession.increment(count);
    }

    /** Registers a gauge read from live state (for counts that are cheaper to read than to track). */
    public <T> void gauge(String name, String description, T state, ToIntFunction<T> reader) {
        Gauge.builder(name, state, s -> reader.applyAsInt(s)).description(description).register(registry);
    }
}
