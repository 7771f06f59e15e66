package io.edgegw.upstream;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.Fanout;
import io.edgegw.fanout.GlobalIgnore;
import io.edgegw.fanout.Json;
import io.edgegw.observe.GatewayMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.WebSocketClient;

/**
 * The upstream side: a small pool of {@link UpstreamConnection}s multiplexing every browser session, and the
 * placement of sessions and topics on them (PROTOCOL.md section 2). All of its state lives on one Vert.x context,
 * the upstream loop; the public methods may be called from any thread and hop onto it.
 */
@ApplicationScoped
public class UpstreamPool implements ConnectionListener {

    private static final Logger LOG = Logger.getLogger(UpstreamPool.class);
    private static final long EXPIRY_SWEEP_MS = 100;

    private final Vertx vertx;
    private final GatewayConfig config;
    private final Fanout fanout;
    private final SessionRouter router;
    private final GatewayMetrics metrics;
    private final GlobalIgnore globalIgnore;
    private final String gatewayId = "gw-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));

    private Context context;
    /** Set once, when the pool starts; read from any thread. */
    private volatile List<UpstreamConnection> connections = List.of();
    private final Placement placement = new Placement();
    private UpstreamTopics topics;
    private PendingSends pending;
    private HttpClient probeClient;
    private WebSocketClient socketClient;

    public UpstreamPool(Vertx vertx, GatewayConfig config, Fanout fanout, SessionRouter router,
            GatewayMetrics metrics, GlobalIgnore globalIgnore) {
        this.globalIgnore = globalIgnore;
        this.vertx = vertx;
        this.config = config;
        this.fanout = fanout;
        this.router = router;
        this.metrics = metrics;
    }

    void start(@Observes @Priority(20) StartupEvent event) {
        GatewayConfig.Upstream upstream = config.upstream();
        List<String> urls = upstream.nodes().orElseThrow(() -> new IllegalStateException(
                "gateway.upstream.nodes is required: set it to your cluster's node URLs "
                        + "(ws://host:port/path, comma-separated), or run the demo profile"));
        NodeRing ring = new NodeRing(urls);
        ring.nodes().forEach(node -> metrics.registerNode(node.name()));
        pending = new PendingSends(upstream.sendQueueCapacity());
        BackoffPolicy backoff = new BackoffPolicy(upstream.backoff().initial(), upstream.backoff().max(),
                upstream.backoff().multiplier(),
                BackoffPolicy.Jitter.named(upstream.backoff().jitter()));
        UpstreamConnection.Settings settings = new UpstreamConnection.Settings(ring, backoff,
                upstream.backoff().stableAfter().toMillis(), upstream.goingAwayJitter().toMillis(),
                upstream.connectTimeout().toMillis(), upstream.heartbeat().interval().toMillis(),
                upstream.heartbeat().timeout().toMillis(), System::currentTimeMillis,
                () -> ThreadLocalRandom.current().nextDouble(),
                ThreadLocalRandom.current().nextInt(1 << 16), // gateways start spread over the nodes too
                this::takenBySibling);
        UpstreamTopics.Settings topicSettings = new UpstreamTopics.Settings(
                config.fanout().unsubGrace().toMillis(), config.fanout().history().size(),
                config.fanout().history().maxAge().toMillis(), upstream.connectTimeout().toMillis());
        topics = new UpstreamTopics(fanout, router::recovered, metrics, vertx, topicSettings, this::up,
                globalIgnore.current());
        context = vertx.getOrCreateContext();
        globalIgnore.onChange(list -> context.runOnContext(v -> topics.ignoreChanged(list)));
        context.runOnContext(v -> {
            UpstreamClients clients = UpstreamClients.create(vertx, upstream.tls().caFile(),
                    upstream.tls().trustAll(), ring);
            probeClient = clients.probes();
            socketClient = clients.sockets();
            List<UpstreamConnection> created = new ArrayList<>();
            for (int i = 0; i < upstream.connections(); i++) {
                String name = gatewayId + "/" + i;
                String hello = "{\"type\":\"hello\",\"protocol\":1,\"gateway\":" + Json.quote(gatewayId)
                        + ",\"connection\":" + Json.quote(name)
                        + upstream.token().map(t -> ",\"token\":" + Json.quote(t)).orElse("") + "}";
                UpstreamConnection connection = new UpstreamConnection(i, name, settings, context, vertx,
                        probeClient, socketClient, this, hello);
                metrics.upstreamTransition(null, UpstreamState.IDLE);
                created.add(connection);
            }
            connections = List.copyOf(created);
            ring.refresh(vertx).onComplete(resolved -> connections.forEach(UpstreamConnection::start));
            vertx.setPeriodic(EXPIRY_SWEEP_MS, t -> expireSends());
            metrics.sampleUpstream(context, topics::heldMessages, pending::queued, pending::size);
        });
        LOG.infof("gateway %s: %d upstream connection(s) over %s", gatewayId, upstream.connections(), urls);
    }

    void stop(@Observes ShutdownEvent event) {
        if (context != null) {
            context.runOnContext(v -> connections.forEach(UpstreamConnection::shutdown));
        }
    }

    /** Whether a connection other than {@code self} is on {@code node} or trying it. */
    private boolean takenBySibling(UpstreamConnection self, NodeRing.Node node) {
        for (UpstreamConnection other : connections) {
            UpstreamState state = other.state();
            if (other != self && node.equals(other.node()) && (state == UpstreamState.CONNECTED
                    || state == UpstreamState.CONNECTING || state == UpstreamState.PROBING)) {
                return true;
            }
        }
        return false;
    }

    public String gatewayId() {
        return gatewayId;
    }

    /** A snapshot of the connections, for health and the admin API; safe from any thread. */
    public List<UpstreamConnection> connections() {
        return connections;
    }

    public long connectedCount() {
        return connections().stream().filter(UpstreamConnection::isConnected).count();
    }

    // ---- from browser sessions (any thread) -----------------------------------------------------------------

    /** Browser link {@code link} (a number that grows with every link of the process) opened the session. */
    public void sessionOpened(String session, String user, long link) {
        context.runOnContext(v -> {
            UpstreamConnection owner = placement.addSession(session, user, link, up());
            if (owner != null) {
                owner.write(openLine(session, user));
            }
        });
    }

    /**
     * The session of browser link {@code link} ended. Ignored when a newer link of the session opened it meanwhile:
     * a resume window closing on one event loop as the browser comes back on another sends both, in either order.
     */
    public void sessionClosed(String session, int code, long link) {
        context.runOnContext(v -> {
            if (placement.isReopenedAfter(session, link)) {
                return;
            }
            UpstreamConnection owner = placement.removeSession(session);
            pending.forgetSession(session);
            topics.sessionEnded(session); // its waiting recoveries: nobody takes their answers
            if (owner != null && owner.isConnected()) {
                owner.write("{\"type\":\"close\",\"session\":" + Json.quote(session) + ",\"code\":" + code + "}");
            }
        });
    }

    /** One shard gained ({@code +1}) or lost ({@code -1}) its local subscribers of a topic or pattern. */
    public void demand(String topic, int delta) {
        context.runOnContext(v -> topics.demand(topic, delta));
    }

    /**
     * A browser subscribed to an exact topic with {@code since}: its session gets, through
     * {@link SessionRouter#recovered}, what came after that offset (from the gateway's history or the node) or a gap.
     */
    public void recover(String session, long request, String topic, String epoch, long offset) {
        context.runOnContext(v -> topics.recover(session, request, topic, epoch, offset));
    }

    /** A browser's {@code send}, already tagged with its session as {@code line}. */
    public void send(String session, String id, String line) {
        context.runOnContext(v -> {
            PendingSends.PendingSend send = new PendingSends.PendingSend(session, id, line,
                    System.currentTimeMillis());
            if (!pending.add(send)) {
                metrics.send("rejected");
                router.sendOutcome(session, id, "upstream_unavailable", "send queue is full: no node is reachable");
                return;
            }
            UpstreamConnection owner = placement.ownerOfSession(session);
            if (owner != null && owner.isConnected()) {
                owner.write(line);
                pending.written(send, owner);
            }
        });
    }

    // ---- from connections (upstream loop) -------------------------------------------------------------------

    @Override
    public void connected(UpstreamConnection connection) {
        List<UpstreamConnection> up = up();
        for (Placement.SessionEntry session : placement.placeWaitingSessions(up)) {
            session.owner.write(openLine(session.id, session.user));
        }
        topics.connected();
        writeQueuedSends();
    }

    @Override
    public void disconnected(UpstreamConnection connection) {
        List<UpstreamConnection> up = up();
        for (Placement.SessionEntry session : placement.moveSessions(connection, up)) {
            session.owner.write(openLine(session.id, session.user));
        }
        topics.disconnected(connection);
        pending.requeueFrom(connection);
        writeQueuedSends();
    }

    private void writeQueuedSends() {
        for (PendingSends.PendingSend send : pending.queuedSends()) {
            UpstreamConnection owner = placement.ownerOfSession(send.session);
            if (owner != null && owner.isConnected()) {
                owner.write(send.line);
                pending.written(send, owner);
            }
        }
    }

    @Override
    public void text(UpstreamConnection connection, NodeFrame frame, long receivedNanos) {
        switch (frame.type()) {
            case "message" -> topicMessage(connection, frame.topic(), frame.epoch(), frame.offset(), frame.line(),
                    receivedNanos);
            case "subscribed" ->
                    topics.subscribed(connection, frame.topic(), frame.epoch(), frame.offset(), frame.recovered());
            case "direct" -> {
                if (frame.session() != null) {
                    router.direct(frame.session(), frame.event(), frame.rawData());
                }
            }
            case "ack" -> sendAnswered(frame, null);
            case "nack" -> sendAnswered(frame, frame.code() == null ? "nack" : frame.code());
            case "kick" -> {
                if (frame.session() != null) {
                    int code = frame.closeCode() >= 4000 && frame.closeCode() <= 4999 ? frame.closeCode() : 4000;
                    router.kick(frame.session(), code, frame.reason());
                }
            }
            default -> LOG.debugf("upstream %s: ignored frame of type %s", connection.name(), frame.type());
        }
    }

    @Override
    public void binary(UpstreamConnection connection, Buffer frame, long receivedNanos) {
        BinaryTopicFrame header = BinaryTopicFrame.parse(frame);
        if (header == null) {
            metrics.dropped("malformed", 1);
            LOG.warnf("upstream %s: malformed binary frame dropped", connection.name());
            return;
        }
        topicMessage(connection, header.topic(), header.epoch(), header.offset(), frame, receivedNanos);
    }

    private void topicMessage(UpstreamConnection connection, String topic, String epoch, long offset, Object payload,
            long receivedNanos) {
        if (topic == null || epoch == null || offset == NodeFrame.NO_OFFSET) {
            metrics.dropped("malformed", 1);
            return;
        }
        metrics.received();
        topics.message(connection, topic, epoch, offset, payload, receivedNanos);
    }

    private void sendAnswered(NodeFrame frame, String errorCode) {
        if (frame.session() == null || frame.id() == null || pending.complete(frame.session(), frame.id()) == null) {
            return; // already expired, or its session is gone
        }
        metrics.send(errorCode == null ? "acked" : "nacked");
        router.sendOutcome(frame.session(), frame.id(), errorCode, frame.message());
    }

    private void expireSends() {
        long timeout = config.upstream().sendTimeout().toMillis();
        for (PendingSends.PendingSend send : pending.expire(System.currentTimeMillis(), timeout)) {
            metrics.send("expired");
            router.sendOutcome(send.session, send.id, "upstream_unavailable", send.everWritten
                    ? "no node answered in time: the outcome is unknown"
                    : "no node was reachable in time: not sent");
        }
    }

    @Override
    public void transition(UpstreamConnection connection, UpstreamState from, UpstreamState to, String why) {
        metrics.upstreamTransition(connection.name(), from, to);
    }

    @Override
    public void failure(UpstreamConnection connection, NodeRing.Node node, String code) {
        metrics.reconnect(node.name(), code);
    }

    // ---- frames ---------------------------------------------------------------------------------------------

    private static String openLine(String session, String user) {
        return "{\"type\":\"open\",\"session\":" + Json.quote(session) + ",\"user\":" + Json.quote(user) + "}";
    }

    private List<UpstreamConnection> up() {
        List<UpstreamConnection> up = new ArrayList<>(connections.size());
        for (UpstreamConnection connection : connections) {
            if (connection.isConnected()) {
                up.add(connection);
            }
        }
        return up;
    }
}
