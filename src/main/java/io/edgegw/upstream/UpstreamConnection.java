package io.edgegw.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
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
import io.vertx.core.http.WebSocketFrame;

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
 * upstream loop's context (no locks); the few read by other threads (state, node, counters) are volatile and
 * written only there. Each state's timers are cancelled on every exit from it, and the old socket is closed before
 * a new one opens: a socket that dies without a close frame is already closed; one we leave gets a close frame
 * and its TCP connection ends when the node answers or after the client's closing timeout (1 s), whichever is
 * first.
 *
 * <p>What a close code from the node does ({@link #reactionTo}):
 * <table>
 * <caption>close codes</caption>
 * <tr><th>code</th><th>reaction</th></tr>
 * <tr><td>1000 normal, 1001 going away, 1012 restart</td><td>the node ended the link on purpose: next node at once,
 * after a uniform jitter of at most {@code gateway.upstream.going-away-jitter}</td></tr>
 * <tr><td>1008 policy violation</td><td>the node refused the hello (token or protocol): logged at ERROR, next node
 * after the normal backoff; never gives up, since another node may accept (a token being rotated)</td></tr>
 * <tr><td>1011 internal error, 1006 (no close frame), any other</td><td>a failure: next node after the normal
 * backoff</td></tr>
 * </table>
 * "At once" holds only when the link was welcomed and nothing failed or left since it was last stable
 * ({@code attempt == 0}); otherwise the normal backoff applies, so a node that welcomes and sends gateways away in a
 * loop is not hammered.
 */
public final class UpstreamConnection {

    private static final Logger LOG = Logger.getLogger(UpstreamConnection.class);
    /** Characters per frame to a node: at most 48 KiB of UTF-8, under the common 64 KiB frame limit. */
    static final int MAX_MESSAGE_CHARS = 16 * 1024;

    /** What the connection does when its node closes the link. */
    public enum CloseReaction {
        /** The node ended the link on purpose: try the next node at once, with a small jitter. */
        MOVE_ON_AT_ONCE,
        /** A failure: try the next node after the backoff delay. */
        BACK_OFF
    }

    /** The reaction to a close code from the node (1006 for a link that died without a close frame). */
    public static CloseReaction reactionTo(int code) {
        return switch (code) {
            case 1000, 1001, 1012 -> CloseReaction.MOVE_ON_AT_ONCE;
            default -> CloseReaction.BACK_OFF;
        };
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
    private volatile long lastDelayMs = -1;
    private volatile int liveTimers;
    private volatile int liveSockets;

    private int ringPosition;
    private long generation; // tells callbacks of an abandoned attempt or socket from the current one
    private long stateTimer = -1;
    private long heartbeatTimer = -1;
    private long pongTimer = -1;
    private long connectedAtMs;
    private long previousDelayMs;
    private WebSocket socket;
    private final List<String> outbound = new ArrayList<>();
    private boolean flushScheduled;

    /**
     * What a connection needs to know, fixed for its life. {@code startPosition} is where connection 0 starts in
     * the ring (connection {@code i} starts {@code i} further); {@code takenBySibling} tells whether another
     * connection of the pool is on a node, so that a connection moving on skips it while a free node remains.
     */
    public record Settings(NodeRing ring, BackoffPolicy backoff, long stableAfterMs, long goingAwayJitterMs,
            long connectTimeoutMs, long heartbeatIntervalMs, long heartbeatTimeoutMs, LongSupplier clock,
            DoubleSupplier random, int startPosition, BiPredicate<UpstreamConnection, NodeRing.Node> takenBySibling) {
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
        this.ringPosition = settings.startPosition() + index; // spread connections over different nodes
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

    /** Consecutive failed attempts or departures since the connection was last stable. */
    public int attempt() {
        return attempt;
    }

    public Integer lastCloseCode() {
        return lastCloseCode;
    }

    /** The node this connection is on, or tries, or will try next. */
    public NodeRing.Node node() {
        return node;
    }

    /** The delay of the last backoff, in ms; -1 before the first. */
    public long lastDelayMs() {
        return lastDelayMs;
    }

    /** Vert.x timers this connection set and that have neither fired (one-shot) nor been cancelled. */
    public int liveTimers() {
        return liveTimers;
    }

    /** WebSockets this connection opened whose close has not completed yet. */
    public int liveSockets() {
        return liveSockets;
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
        cancelTimers();
        closeSocket(1001, "gateway shutting down");
        enter(UpstreamState.CLOSED, "shutdown");
    }

    /**
     * Queues one line for the node; lines written in one loop task leave together, joined by newlines into
     * messages of at most {@value #MAX_MESSAGE_CHARS} characters each.
     */
    void write(String line) {
        if (state != UpstreamState.CONNECTED && state != UpstreamState.CONNECTING) {
            throw new IllegalStateException("write on " + state + " connection " + name);
        }
        outbound.add(line);
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
        if (socket == null || socket.isClosed()) {
            outbound.clear();
            return;
        }
        StringBuilder message = new StringBuilder();
        for (String line : outbound) {
            if (!message.isEmpty() && message.length() + 1 + line.length() > MAX_MESSAGE_CHARS) {
                writeMessage(message.toString());
                message.setLength(0);
            }
            if (!message.isEmpty()) {
                message.append('\n');
            }
            message.append(line);
        }
        outbound.clear();
        writeMessage(message.toString());
    }

    /**
     * Writes one text message in frames of at most {@value #MAX_MESSAGE_CHARS} characters: nodes commonly refuse
     * larger frames (Vert.x's default limit is 64 KiB), and a move can put thousands of lines in one flush.
     */
    private void writeMessage(String text) {
        if (text.length() <= MAX_MESSAGE_CHARS) {
            socket.writeTextMessage(text);
            return;
        }
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + MAX_MESSAGE_CHARS);
            if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
                end--; // never split a surrogate pair
            }
            String part = text.substring(start, end);
            boolean last = end == text.length();
            socket.writeFrame(start == 0 ? WebSocketFrame.textFrame(part, last)
                    : WebSocketFrame.continuationFrame(Buffer.buffer(part), last));
            start = end;
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
        if (target.server() != null) {
            request.setServer(target.server());
        }
        stateTimer = setTimer(settings.connectTimeoutMs(), () -> onCurrent(attemptGeneration, () -> {
            stateTimer = -1;
            fail("probe_failed", "health probe timed out");
        }));
        probeClient.request(request)
                .compose(req -> req.send().compose(response -> response.body().map(response.statusCode())))
                .onComplete(result -> onCurrent(attemptGeneration, () -> {
                    if (result.succeeded() && result.result() == 200) {
                        connect();
                    } else {
                        fail("probe_failed", result.succeeded() ? "health answered " + result.result()
                                : "health probe failed: " + result.cause().getMessage());
                    }
                }));
    }

    private void connect() {
        cancelStateTimer();
        enter(UpstreamState.CONNECTING, "probe succeeded");
        long attemptGeneration = ++generation;
        NodeRing.Node target = node;
        // to the address itself (Vert.x 4.5's WebSocket client ignores RequestOptions.server), under the name:
        // the node sees the configured host, and NodeTrust verifies the certificate against it
        WebSocketConnectOptions options = new WebSocketConnectOptions();
        options.setHost(target.connectHost()).setPort(target.port()).setSsl(target.secure())
                .setURI(target.requestUri()).putHeader("Host", target.hostHeader());
        options.setConnectTimeout(settings.connectTimeoutMs());
        stateTimer = setTimer(settings.connectTimeoutMs(), () -> onCurrent(attemptGeneration, () -> {
            stateTimer = -1;
            fail("connect_failed", "no welcome in time");
        }));
        socketClient.connect(options).onComplete(result -> {
            if (result.succeeded()) {
                track(result.result());
            }
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

    /** Counts a socket as live until its close completes, whoever closes it and whenever. */
    private void track(WebSocket ws) {
        liveSockets++;
        ws.closeHandler(v -> liveSockets--);
    }

    private void opened(WebSocket ws, long socketGeneration) {
        socket = ws;
        ws.textMessageHandler(text -> onCurrent(socketGeneration, () -> onText(text)));
        ws.binaryMessageHandler(data -> onCurrent(socketGeneration, () -> onBinary(data)));
        ws.pongHandler(data -> onCurrent(socketGeneration, this::cancelPongTimer));
        ws.exceptionHandler(error -> LOG.debugf("upstream %s socket error: %s", name, error.getMessage()));
        ws.closeHandler(v -> {
            liveSockets--;
            onCurrent(socketGeneration, () -> onClosed(ws));
        });
        ws.writeTextMessage(helloLine);
    }

    private void onText(String text) {
        long receivedNanos = System.nanoTime();
        int start = 0;
        int length = text.length();
        while (start < length && socket != null) {
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
            LOG.warnf("upstream %s: malformed frame from %s dropped: %s", name, node.label(), e.getMessage());
            return;
        }
        if (state == UpstreamState.CONNECTING) {
            if (!"welcome".equals(frame.type())) {
                return; // nothing counts before the welcome
            }
            if (frame.protocol() != 1) {
                LOG.errorf("upstream %s: node %s speaks protocol %d, this gateway speaks 1", name, node.label(),
                        frame.protocol());
                fail("protocol_error", "node speaks protocol " + frame.protocol());
                return;
            }
            cancelStateTimer();
            enter(UpstreamState.CONNECTED, "welcomed by " + frame.node());
            connectedAtMs = settings.clock().getAsLong();
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
            LOG.errorf("upstream %s: node %s refused the gateway (1008 %s): check gateway.upstream.token and the "
                    + "protocol version", name, node.label(), ws.closeReason());
        }
        lost(String.valueOf(code), why, reactionTo(code) == CloseReaction.MOVE_ON_AT_ONCE);
    }

    /**
     * A ping every interval, one at a time; a ping unanswered within the timeout ends the link, so a dead link is
     * found at most interval + timeout after it died.
     */
    private void startHeartbeat() {
        long heartbeatGeneration = generation;
        heartbeatTimer = setPeriodic(settings.heartbeatIntervalMs(), () -> onCurrent(heartbeatGeneration, () -> {
            if (pongTimer >= 0 || socket == null) {
                return; // the previous ping is still within its timeout
            }
            socket.writePing(Buffer.buffer("hb"));
            pongTimer = setTimer(settings.heartbeatTimeoutMs(), () -> onCurrent(heartbeatGeneration, () -> {
                pongTimer = -1;
                closeSocket(1001, "no pong");
                lost("pong_timeout", "no pong within " + settings.heartbeatTimeoutMs() + " ms", false);
            }));
        }));
    }

    /** A failed attempt (probe, connect, handshake): back off, then the next node. */
    private void fail(String code, String why) {
        closeSocket("protocol_error".equals(code) ? 1002 : 1001, why);
        listener.failure(this, node, code);
        backoff(why, false);
    }

    /** A link that was open (or opening) is gone. */
    private void lost(String code, String why, boolean endedOnPurpose) {
        boolean wasConnected = state == UpstreamState.CONNECTED;
        if (wasConnected && settings.clock().getAsLong() - connectedAtMs >= settings.stableAfterMs()) {
            attempt = 0; // it stayed up long enough: the node is healthy again, not flapping
            previousDelayMs = 0; // decorrelated jitter grows from the previous delay: start that over too
        }
        listener.failure(this, node, code);
        backoff(why, endedOnPurpose && wasConnected && attempt == 0);
        if (wasConnected) {
            listener.disconnected(this); // after leaving CONNECTED, so nothing is placed back on this connection
        }
    }

    private void backoff(String why, boolean atOnce) {
        if (state == UpstreamState.DRAINING || state == UpstreamState.CLOSED) {
            return;
        }
        cancelTimers();
        outbound.clear(); // lines for the old socket: what they carried is written again after the move
        long delay = atOnce ? (long) (settings.random().getAsDouble() * (settings.goingAwayJitterMs() + 1))
                : settings.backoff().delayMillis(attempt, settings.random(), previousDelayMs);
        if (!atOnce) {
            previousDelayMs = delay;
        }
        lastDelayMs = delay;
        attempt++;
        int origin = settings.startPosition() + index;
        int size = settings.ring().size();
        int previousPosition = ringPosition;
        ringPosition = nextPosition();
        if (Math.floorDiv(ringPosition - origin, size) > Math.floorDiv(previousPosition - origin, size)) {
            settings.ring().refresh(vertx); // a pass round the list is over: look the names up again
        }
        enter(UpstreamState.BACKOFF, why + "; next node " + settings.ring().get(ringPosition).label() + " in "
                + delay + " ms" + (atOnce ? " (left at once)" : ""));
        long backoffGeneration = ++generation;
        stateTimer = setTimer(Math.max(1, delay), () -> onCurrent(backoffGeneration, () -> {
            stateTimer = -1;
            probe("backoff over");
        }));
    }

    /** The next position whose node no sibling connection is on, if there is one; else simply the next. */
    private int nextPosition() {
        NodeRing ring = settings.ring();
        for (int step = 1; step < ring.size(); step++) {
            if (!settings.takenBySibling().test(this, ring.get(ringPosition + step))) {
                return ringPosition + step;
            }
        }
        return ringPosition + 1;
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private void enter(UpstreamState next, String why) {
        UpstreamState previous = state;
        state = next;
        stateSinceMs = settings.clock().getAsLong();
        LOG.infof("upstream %s node=%s %s -> %s: %s", name, node.label(), previous.tag(), next.tag(), why);
        listener.transition(this, previous, next, why);
    }

    /** Runs {@code action} only if nothing newer (another attempt, another socket) replaced its origin. */
    private void onCurrent(long originGeneration, Runnable action) {
        if (originGeneration == generation && state != UpstreamState.CLOSED) {
            action.run();
        }
    }

    private long setTimer(long delayMs, Runnable action) {
        liveTimers++;
        return vertx.setTimer(delayMs, id -> {
            liveTimers--;
            action.run();
        });
    }

    private long setPeriodic(long periodMs, Runnable action) {
        liveTimers++;
        return vertx.setPeriodic(periodMs, id -> action.run());
    }

    /** Cancels a timer that may have fired already; returns -1 to store in its field. */
    private long cancel(long timer) {
        if (timer >= 0 && vertx.cancelTimer(timer)) {
            liveTimers--;
        }
        return -1;
    }

    private void cancelStateTimer() {
        stateTimer = cancel(stateTimer);
    }

    private void cancelPongTimer() {
        pongTimer = cancel(pongTimer);
    }

    private void cancelTimers() {
        stateTimer = cancel(stateTimer);
        heartbeatTimer = cancel(heartbeatTimer);
        pongTimer = cancel(pongTimer);
    }

    /** Closes the current socket with a close frame, if there is one; its close handler will not count as a loss. */
    private void closeSocket(int code, String reason) {
        WebSocket old = socket;
        socket = null;
        generation++;
        if (old != null && !old.isClosed()) {
            old.close((short) code, reason == null ? null : reason.length() > 120 ? reason.substring(0, 120) : reason);
        }
    }
}
