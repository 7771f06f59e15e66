package io.edgegw.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The reference cluster node: the node side of the upstream link (PROTOCOL.md section 2) on a Vert.x HTTP server
 * with {@code GET /health} and a WebSocket endpoint on any path.
 * <p>
 * It owns the server's life (start, stop with 1001, kill without close frames), the gateway links and the session
 * directory; each {@link GatewayLink} owns its connection's protocol state on that connection's context. The public
 * methods are thread-safe and may be called from tests on any thread.
 */
public final class ReferenceNode {

    private static final Logger LOG = Logger.getLogger(ReferenceNode.class);
    /** Binds tried for "port 0" before giving up (each a random port; see {@link RestartablePorts}). */
    private static final int RANDOM_PORT_ATTEMPTS = 20;

    static final String HOST = "127.0.0.1";
    static final short GOING_AWAY = 1001;
    /** The most frames {@link #received()} keeps (the oldest are dropped), so that a long-running demo stays bounded. */
    static final int MAX_RECEIVED = 100_000;
    /** Seconds the server waits for a gateway to answer its close frame before it drops the connection. */
    static final int CLOSING_TIMEOUT_SECONDS = 2;

    /** What a node is told at construction; public fields with fluent setters. */
    public static final class Options {
        /** The id the node gives in {@code welcome}; null = a random one. */
        public String nodeId;
        /** Port to listen on, 0 = a random free one below the ephemeral range (kept for restarts). */
        public int port = 0;
        /** The token every gateway must send in {@code hello}; null = accept any. */
        public String token;
        /** How long a (session, id) of an accepted {@code send} is remembered to drop repeats. */
        public long dedupWindowMillis = 300_000;

        public Options nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        public Options port(int port) {
            this.port = port;
            return this;
        }

        public Options token(String token) {
            this.token = token;
            return this;
        }

        public Options dedupWindowMillis(long dedupWindowMillis) {
            this.dedupWindowMillis = dedupWindowMillis;
            return this;
        }
    }

    private final Vertx vertx;
    private final SharedLog log;
    private final String id;
    private final String token;
    private final SendInbox sends;
    private final TcpRelay relay;
    private final Set<GatewayLink> links = ConcurrentHashMap.newKeySet();
    private final Map<String, GatewayLink> sessions = new ConcurrentHashMap<>();
    private final ArrayDeque<JsonObject> received = new ArrayDeque<>();
    private volatile boolean healthy = true;
    private volatile int port;
    private HttpServer server; // guarded by this

    public ReferenceNode(Vertx vertx, SharedLog log, Options options) {
        this(vertx, log, options, new SendDeduplicator(options.dedupWindowMillis));
    }

    /** For a cluster: its nodes share one deduplicator, since a send repeated after a move may reach another node. */
    ReferenceNode(Vertx vertx, SharedLog log, Options options, SendDeduplicator deduplicator) {
        this.vertx = Objects.requireNonNull(vertx);
        this.log = Objects.requireNonNull(log);
        this.id = options.nodeId != null ? options.nodeId : "n-" + UUID.randomUUID().toString().substring(0, 8);
        this.token = options.token;
        this.port = options.port;
        this.sends = new SendInbox(this, deduplicator, this::publishLocally);
        this.relay = new TcpRelay(vertx);
    }

    /**
     * Listens on 127.0.0.1 at the configured port (0 = a random free port below the ephemeral range, see
     * {@link RestartablePorts}; the actual port is reused on every restart, so restart only once the previous stop or
     * kill has completed).
     */
    public synchronized Future<Void> start() {
        if (server != null) {
            return Future.succeededFuture();
        }
        HttpServer http = vertx.createHttpServer(new HttpServerOptions()
                        .setHost(HOST)
                        .setPort(0)
                        .setWebSocketClosingTimeout(CLOSING_TIMEOUT_SECONDS))
                .webSocketHandler(this::accept)
                .requestHandler(this::onHttpRequest);
        server = http;
        return http.listen()
                .compose(listening -> port != 0 ? relay.listen(HOST, port, listening.actualPort())
                        : listenOnRestartablePort(listening.actualPort(), RANDOM_PORT_ATTEMPTS))
                .onSuccess(actualPort -> {
                    port = actualPort;
                    LOG.infof("reference node %s listening on %s", id, url());
                })
                .onFailure(error -> {
                    http.close();
                    relay.close();
                    synchronized (this) {
                        if (server == http) {
                            server = null;
                        }
                    }
                })
                .mapEmpty();
    }

    private Future<Integer> listenOnRestartablePort(int internalPort, int attemptsLeft) {
        return relay.listen(HOST, RestartablePorts.pick(), internalPort)
                .recover(taken -> attemptsLeft > 1
                        ? relay.close().compose(closed -> listenOnRestartablePort(internalPort, attemptsLeft - 1))
                        : Future.failedFuture(taken));
    }

    /** Closes every gateway connection with 1001 (going away), waits for them to close, then closes the server. */
    public synchronized Future<Void> stop() {
        HttpServer http = server;
        server = null;
        if (http == null) {
            return Future.succeededFuture();
        }
        List<Future<Void>> closing = links.stream().map(link -> link.close(GOING_AWAY, "node stopping")).toList();
        return Future.join(closing)
                .transform(closed -> http.close())
                .transform(closed -> relay.close())
                .onComplete(closed -> LOG.infof("reference node %s stopped", id));
    }

    /** Crashes the node: every gateway connection is dropped without a close frame (a gateway sees 1006). */
    public synchronized Future<Void> kill() {
        HttpServer http = server;
        server = null;
        if (http == null) {
            return Future.succeededFuture();
        }
        return relay.close()   // first: the HTTP server would write close frames if it closed the links itself
                .transform(dropped -> http.close())
                .onComplete(closed -> LOG.infof("reference node %s killed", id));
    }

    public String id() {
        return id;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "ws://" + HOST + ":" + port + "/upstream";
    }

    /** While false, {@code /health} answers 503; WebSockets are still accepted. */
    public void setHealthy(boolean healthy) {
        this.healthy = healthy;
    }

    /** Gateway connections whose {@code hello} was accepted and that are still open. */
    public int connectionCount() {
        return (int) links.stream().filter(GatewayLink::isOpen).count();
    }

    /** Closes every gateway connection with that close code; the server keeps listening. */
    public void closeConnections(int code, String reason) {
        links.forEach(link -> link.close(code, reason));
    }

    /** Sends a {@code direct} to the connection where the session was last opened; false when it is not open here. */
    public boolean direct(String session, String event, String dataJson) {
        GatewayLink link = sessions.get(session);
        if (link == null) {
            return false;
        }
        link.send(NodeFrames.direct(session, event, NodeFrames.singleLineJson(dataJson)));
        return true;
    }

    /** Asks the gateway to close that browser session with a 4000-4999 code; false when it is not open here. */
    public boolean kick(String session, int code, String reason) {
        GatewayLink link = sessions.get(session);
        if (link == null) {
            return false;
        }
        link.send(NodeFrames.kick(session, code, reason));
        return true;
    }

    /**
     * Replaces what the node does with a gateway's {@code send}: the handler gets the whole frame and returns null to
     * ack, or {@code {"code":..,"message":..}} to nack. It runs on the connection's event loop: it must not block.
     * It runs once per (session, id) within the dedup window, under the deduplicator's lock.
     * Null restores the default (ack everything; {@code echo} answers with a direct, {@code chat.post} publishes to
     * {@code chat/lobby}).
     */
    public void onSend(Function<JsonObject, JsonObject> handler) {
        sends.handler(handler);
    }

    /**
     * Every JSON message received from gateways (the last {@value #MAX_RECEIVED}), in arrival order, each recorded once
     * the node has acted on it: a test that sees a {@code sub} here may publish and expect delivery.
     */
    public List<JsonObject> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    public List<JsonObject> received(String type) {
        return received().stream().filter(frame -> type.equals(frame.getValue("type"))).toList();
    }

    public void clearReceived() {
        synchronized (received) {
            received.clear();
        }
    }

    /**
     * Delivers a log entry to every connection with a matching {@code sub}, once per connection. Calls for one topic
     * must come in offset order (a {@link ReferenceCluster} publishes under one lock).
     */
    public void publish(SharedLog.Entry entry) {
        links.forEach(link -> link.deliver(entry));
    }

    /** How {@code chat.post} publishes; a cluster routes it through the shared log to every node. */
    void publishThrough(BiConsumer<String, String> publisher) {
        sends.topicPublisher(publisher);
    }

    SharedLog log() {
        return log;
    }

    boolean acceptsToken(Object offered) {
        return token == null || token.equals(offered);
    }

    void sessionOpened(String session, GatewayLink link) {
        sessions.put(session, link);
    }

    void sessionClosed(String session, GatewayLink link) {
        sessions.remove(session, link);
    }

    void linkClosed(GatewayLink link) {
        links.remove(link);
        sessions.values().removeIf(owner -> owner == link);
    }

    void record(JsonObject frame) {
        synchronized (received) {
            if (received.size() == MAX_RECEIVED) {
                received.removeFirst();
            }
            received.addLast(frame);
        }
    }

    /** The outcome of a gateway's {@code send}: null to ack, else the nack's code and message. */
    JsonObject acceptSend(JsonObject send) {
        return sends.accept(send);
    }

    private void accept(ServerWebSocket socket) {
        links.add(new GatewayLink(this, socket, vertx.getOrCreateContext()));
    }

    private void onHttpRequest(HttpServerRequest request) {
        if (!"/health".equals(request.path())) {
            request.response().setStatusCode(404).end();
            return;
        }
        boolean up = healthy;
        request.response()
                .setStatusCode(up ? 200 : 503)
                .putHeader("content-type", "application/json")
                .end(new JsonObject().put("status", up ? "UP" : "DOWN").put("node", id).encode());
    }

    private void publishLocally(String topic, String dataJson) {
        publish(log.append(topic, dataJson));
    }
}
