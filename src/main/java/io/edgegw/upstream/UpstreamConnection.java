package io.edgegw.upstream;

import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;

/**
 * One upstream connection's life, as an explicit state machine:
 *
 * <pre>
 * IDLE → PROBING (GET /health) → CONNECTING (upgrade, hello, welcome) → CONNECTED
 *          ↑                                                              │ lost / failed
 *          └──────────── BACKOFF (jittered delay, next node) ◀────────────┘
 * any → DRAINING → CLOSED on shutdown
 * </pre>
 *
 * Every transition goes through {@link #enter}, which logs it once and reports it. All fields are confined to the
 * upstream loop's context: no locks. The timer of a state is cancelled on every exit from it, and the old socket is
 * closed before a new one opens.
 */
public final class UpstreamConnection {

    private static final Logger LOG = Logger.getLogger(UpstreamConnection.class);

    /** Codes after which the node is left at once for the next one, with only a small jitter. */
    private static boolean leaveAtOnce(int code) {
        return code == 1000 || code == 1001 || code == 1012;
    }

    private final int index;
    private final String name;
    private final Settings settings;
    private final Context context;
    private final Vertx vertx;
    private final HttpClient probeClient;
    private final WebSocketClient socketClient;
    private final ConnectionListener listener;
    private final String helloLine;

    private volatile UpstreamState state = UpstreamState.IDLE;
    private volatile long stateSinceMs;
    private volatile int attempt;
    private volatile Integer lastCloseCode;
    private volatile NodeRing.Node node;

    private int ringPosition;
    private long generation; // tells callbacks of an abandoned attempt or socket from the current one
    private long stateTimer = -1;
    private long heartbeatTimer = -1;
    private long lastPongMs;
    private long connectedAtMs;
    private long previousDelayMs;
    private WebSocket socket;
    private final StringBuilder outbound = new StringBuilder();
    private boolean flushScheduled;

    /** What a connection needs to know, fixed for its life. */
    public record Settings(NodeRing ring, BackoffPolicy backoff, long stableAfterMs, long goingAwayJitterMs,
            long connectTimeoutMs, long heartbeatIntervalMs, long heartbeatTimeoutMs, LongSupplier clock, DoubleSupplier random) {
    }

    UpstreamConnection(int index, String name, Settings settings, Context context, Vertx vertx,
            HttpClient probeClient, WebSocketClient socketClient, ConnectionListener listener, String helloLine) {
        this.index = index;
        this.helloLine = helloLine;
        this.name = name;
        this.settings = settings;
        this.context = context;
        this.vertx = vertx;
        this.probeClient = probeClient;
        this.socketClient = socketClient;
        this.listener = listener;
        this.ringPosition = index; // spread connections over different nodes from the start
        this.node = settings.ring().get(ringPosition);
        this.stateSinceMs = settings.clock().getAsLong();
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public UpstreamState state() {
        return state;
    }

    public long stateSinceMs() {
        return stateSinceMs;
    }

    public int attempt() {
        return attempt;
    }

    public Integer lastCloseCode() {
        return lastCloseCode;
    }

    public NodeRing.Node node() {
        return node;
    }

    public boolean isConnected() {
        return state == UpstreamState.CONNECTED;
    }

    // ---- events -------------------------------------------------------------------------------------------

    /** Starts the first attempt. */
    void start() {
        if (state == UpstreamState.IDLE) {
            probe("start");
        }
    }

    /** Leaves the node for good: closes the socket with 1001 and stops. */
    void shutdown() {
        if (state == UpstreamState.CLOSED) {
            return;
        }
        enter(UpstreamState.DRAINING, "shutdown");
        WebSocket old = socket;
        socket = null;
        generation++;
        if (old != null && !old.isClosed()) {
            old.close((short) 1001, "gateway shutting down");
        }
        enter(UpstreamState.CLOSED, "shutdown");
    }

    /** Queues one line for the node; lines written in one loop task leave as one frame. */
    void write(String line) {
        if (state != UpstreamState.CONNECTED && state != UpstreamState.CONNECTING) {
            throw new IllegalStateException("write on " + state + " connection " + name);
        }
        if (!outbound.isEmpty()) {
            outbound.append('\n');
        }
        outbound.append(line);
        if (!flushScheduled) {
            flushScheduled = true;
            context.runOnContext(ignored -> flush());
        }
    }

    private void flush() {
        flushScheduled = false;
        if (outbound.isEmpty()) {
            return;
        }
        String frame = outbound.toString();
        outbound.setLength(0);
        if (socket != null && !socket.isClosed()) {
            socket.writeTextMessage(frame);
        }
    }

    // ---- the states -----------------------------------------------------------------------------------------

    private void probe(String why) {
        node = settings.ring().get(ringPosition);
        enter(UpstreamState.PROBING, why);
        long attemptGeneration = ++generation;
        NodeRing.Node target = node;
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost(target.host())
                .setPort(target.port()).setSsl(target.secure()).setURI("/health")
                .setConnectTimeout(settings.connectTimeoutMs()).setIdleTimeout(settings.connectTimeoutMs());
        stateTimer = vertx.setTimer(settings.connectTimeoutMs(),
                t -> onCurrent(attemptGeneration, () -> fail("probe_failed", "health probe timed out")));
        probeClient.request(request)
                .compose(req -> req.send())
                .onComplete(result -> onCurrent(attemptGeneration, () -> {
                    if (result.succeeded() && result.result().statusCode() == 200) {
                        result.result().body(); // drain the response; the connection returns to the pool
                        connect();
                    } else {
                        String why2 = result.succeeded() ? "health answered " + result.result().statusCode()
                                : "health probe failed: " + result.cause().getMessage();
                        fail("probe_failed", why2);
                    }
                }));
    }

    private void connect() {
        enter(UpstreamState.CONNECTING, "probe succeeded");
        long attemptGeneration = ++generation;
        NodeRing.Node target = node;
        WebSocketConnectOptions options = new WebSocketConnectOptions();
        options.setHost(target.host()).setPort(target.port()).setSsl(target.secure()).setURI(target.requestUri());
        options.setConnectTimeout(settings.connectTimeoutMs());
        stateTimer = vertx.setTimer(settings.connectTimeoutMs(),
                t -> onCurrent(attemptGeneration, () -> fail("connect_failed", "no welcome in time")));
        socketClient.connect(options).onComplete(result -> {
            if (attemptGeneration != generation || state != UpstreamState.CONNECTING) {
                if (result.succeeded()) {
                    result.result().close(); // an abandoned attempt's socket never stays open
                }
                return;
            }
            if (result.failed()) {
                fail("connect_failed", "connect failed: " + result.cause().getMessage());
                return;
            }
            opened(result.result(), attemptGeneration);
        });
    }

    private void opened(WebSocket ws, long socketGeneration) {
        socket = ws;
        ws.textMessageHandler(text -> onCurrent(socketGeneration, () -> onText(text)));
        ws.binaryMessageHandler(data -> onCurrent(socketGeneration, () -> onBinary(data)));
        ws.pongHandler(data -> lastPongMs = settings.clock().getAsLong());
        ws.exceptionHandler(error -> LOG.debugf("upstream %s socket error: %s", name, error.getMessage()));
        ws.closeHandler(v -> onCurrent(socketGeneration, () -> onClosed(ws)));
        ws.writeTextMessage(helloLine);
    }

    private void onText(String text) {
        long receivedNanos = System.nanoTime();
        int start = 0;
        int length = text.length();
        while (start < length) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = length;
            }
            if (end > start) {
                onLine(text.substring(start, end), receivedNanos);
            }
            start = end + 1;
        }
    }

    private void onLine(String line, long receivedNanos) {
        NodeFrame frame;
        try {
            frame = NodeFrame.parse(line);
        } catch (IllegalArgumentException e) {
            LOG.warnf("upstream %s: malformed frame from %s dropped: %s", name, node.name(), e.getMessage());
            return;
        }
        if (state == UpstreamState.CONNECTING) {
            if (!"welcome".equals(frame.type())) {
                return; // nothing counts before the welcome
            }
            if (frame.protocol() != 1) {
                closeSocket(1002, "unsupported protocol " + frame.protocol());
                fail("protocol_error", "node speaks protocol " + frame.protocol());
                return;
            }
            cancelStateTimer();
            enter(UpstreamState.CONNECTED, "welcomed by " + frame.node());
            connectedAtMs = settings.clock().getAsLong();
            lastPongMs = connectedAtMs;
            startHeartbeat();
            listener.connected(this);
            return;
        }
        if (state == UpstreamState.CONNECTED) {
            listener.text(this, frame, receivedNanos);
        }
    }

    private void onBinary(Buffer data) {
        if (state == UpstreamState.CONNECTED) {
            listener.binary(this, data, System.nanoTime());
        }
    }

    private void onClosed(WebSocket ws) {
        Short status = ws.closeStatusCode();
        int code = status == null ? 1006 : status;
        lastCloseCode = code;
        socket = null;
        String why = "closed by node with " + code + (ws.closeReason() == null ? "" : " " + ws.closeReason());
        if (code == 1008) {
            LOG.errorf("upstream %s: node %s refused the gateway (1008 %s): check gateway.upstream.token", name,
                    node.name(), ws.closeReason());
        }
        lost(String.valueOf(code), why, leaveAtOnce(code));
    }

    private void startHeartbeat() {
        long interval = settings.heartbeatIntervalMs();
        long heartbeatGeneration = generation;
        heartbeatTimer = vertx.setPeriodic(interval, t -> onCurrent(heartbeatGeneration, () -> {
            long now = settings.clock().getAsLong();
            if (now - lastPongMs > interval + settings.heartbeatTimeoutMs()) {
                closeSocket(-1, null);
                lost("pong_timeout", "no pong for " + (now - lastPongMs) + " ms", false);
            } else if (socket != null) {
                socket.writePing(Buffer.buffer("hb"));
            }
        }));
    }

    /** A failed attempt (probe, connect, handshake): back off, then the next node. */
    private void fail(String code, String why) {
        cancelStateTimer();
        closeSocket(-1, null);
        listener.failure(this, node, code);
        backoff(why, false);
    }

    /** A link that was open is gone. */
    private void lost(String code, String why, boolean leaveAtOnce) {
        boolean wasConnected = state == UpstreamState.CONNECTED;
        cancelStateTimer();
        cancelHeartbeat();
        if (wasConnected && settings.clock().getAsLong() - connectedAtMs >= settings.stableAfterMs()) {
            attempt = 0; // it stayed up long enough: the node is healthy again, not flapping
        }
        listener.failure(this, node, code);
        backoff(why, leaveAtOnce);
        if (wasConnected) {
            listener.disconnected(this); // after leaving CONNECTED, so nothing is placed back on this connection
        }
    }

    private void backoff(String why, boolean leaveAtOnce) {
        if (state == UpstreamState.DRAINING || state == UpstreamState.CLOSED) {
            return;
        }
        long delay = leaveAtOnce
                ? (long) (settings.random().getAsDouble() * (settings.goingAwayJitterMs() + 1))
                : settings.backoff().delayMillis(attempt, settings.random(), previousDelayMs);
        previousDelayMs = delay;
        attempt++;
        ringPosition++;
        enter(UpstreamState.BACKOFF, why + "; next node " + settings.ring().get(ringPosition).name() + " in "
                + delay + " ms");
        long backoffGeneration = ++generation;
        stateTimer = vertx.setTimer(Math.max(1, delay), t -> onCurrent(backoffGeneration, () -> {
            stateTimer = -1;
            probe("backoff over");
        }));
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private void enter(UpstreamState next, String why) {
        UpstreamState previous = state;
        state = next;
        stateSinceMs = settings.clock().getAsLong();
        LOG.infof("upstream %s node=%s %s -> %s: %s", name, node.name(), previous.tag(), next.tag(), why);
        listener.transition(this, previous, next, why);
    }

    /** Runs {@code action} only if nothing newer (another attempt, another socket) replaced its origin. */
    private void onCurrent(long originGeneration, Runnable action) {
        if (originGeneration == generation && state != UpstreamState.CLOSED) {
            action.run();
        }
    }

    private void cancelStateTimer() {
        if (stateTimer >= 0) {
            vertx.cancelTimer(stateTimer);
            stateTimer = -1;
        }
    }

    private void cancelHeartbeat() {
        if (heartbeatTimer >= 0) {
            vertx.cancelTimer(heartbeatTimer);
            heartbeatTimer = -1;
        }
    }

    /** Closes the current socket; code -1 drops the TCP connection without a close handshake. */
    private void closeSocket(int code, String reason) {
        WebSocket old = socket;
        socket = null;
        generation++; // its close handler must not count as a second loss
        if (old != null && !old.isClosed()) {
            if (code < 0) {
                old.close((short) 1001, reason); // a dead link cannot carry the handshake; the TCP close follows
            } else {
                old.close((short) code, reason);
            }
        }
    }
}
