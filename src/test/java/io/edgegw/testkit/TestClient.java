package io.edgegw.testkit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

/**
 * A browser stand-in: one real WebSocket ({@link RawWebSocket}, RFC 6455 on a Vert.x TCP socket) that records
 * everything it receives.
 *
 * <p>Text frames are split on {@code \n} and each line parsed as one JSON message (PROTOCOL.md section 0); a line
 * that is not a JSON object makes every later query fail with an {@link AssertionError}, so a framing bug cannot
 * pass unnoticed. The {@code await…} methods wait on the messages themselves (no polling, no sleeping) and fail with
 * the connection's state and the last messages seen; they fail at once when the connection closed without the
 * awaited message.
 *
 * <p><b>Close codes</b> are what a browser reports: the code of the peer's close frame (after {@link #close()}: the
 * code the peer echoed), 1005 for a close frame without a code, and {@value Inbox#ABNORMAL_CLOSURE} when the link
 * died without a close frame (TCP closed or reset, e.g. by {@link TcpProxy#cut()}).
 *
 * <p><b>Dropping a link.</b> A client that must be able to {@link #drop()} (end TCP without a close frame, as a
 * network failure does) is made by {@link #connectThrough(TcpProxy, String)}, and the drop cuts its connection in
 * that proxy: the cut is then seen by both ends, as it would be.
 *
 * <p><b>Many clients.</b> Each client has its own TCP connection (no pool limits how many connect to one server).
 * All run on {@link #sharedVertx()} unless {@link #connectAsync(Vertx, String, Map, List)} is given another Vert.x;
 * start hundreds at once with {@code connectAsync} and {@code Future.all}.
 *
 * <p>Threads: every method may be called from any test thread; the blocking ones refuse to run on a Vert.x thread.
 */
public final class TestClient implements AutoCloseable {

    /** How long a connect may take, the TCP connect and the upgrade together. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link #close()} and {@link #drop()} wait for the connection to be closed. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** The gateway batches messages into frames; a frame of a large batch must not be refused by the test client. */
    private static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    /** How long the client waits for the peer to end TCP after a close handshake, before it ends TCP itself. */
    private static final Duration CLOSING_TIMEOUT = Duration.ofSeconds(2);

    private final String url;
    private final RawWebSocket socket;
    private final Inbox inbox;
    private final TcpProxy route;

    private TestClient(String url, RawWebSocket socket, Inbox inbox, TcpProxy route) {
        this.url = url;
        this.socket = socket;
        this.inbox = inbox;
        this.route = route;
    }

    /** The Vert.x all test clients run on unless told otherwise: created on first use, with daemon threads. */
    public static Vertx sharedVertx() {
        return SharedVertx.INSTANCE;
    }

    private static final class SharedVertx {
        static final Vertx INSTANCE = Vertx.vertx(new VertxOptions().setUseDaemonThread(true));
    }

    // ---- connecting

    /** Connects to {@code url} (e.g. {@code ws://127.0.0.1:8081/ws}) and waits for the upgrade. */
    public static TestClient connect(String url) {
        return connect(url, Map.of(), List.of());
    }

    /**
     * Connects with extra handshake headers and offered subprotocols, and waits for the upgrade.
     *
     * <p>Unless {@code headers} names an {@code Origin}, the client sends {@code Origin: http://host:port} of the URL,
     * as a page served by that host would. When subprotocols are offered, the server must select one of them, or the
     * handshake fails (as in browsers).
     *
     * @throws CompletionException if the connection or the upgrade fails (the cause says how; a refused upgrade is
     *         an {@code io.vertx.core.http.UpgradeRejectedException} with the HTTP status)
     * @throws AssertionError if it takes longer than {@link #CONNECT_TIMEOUT}
     */
    public static TestClient connect(String url, Map<String, String> headers, List<String> subprotocols) {
        return await(connectAsync(sharedVertx(), url, headers, subprotocols), url);
    }

    /** Starts connecting on {@code vertx}; the future completes once the upgrade completed. */
    public static Future<TestClient> connectAsync(Vertx vertx, String url, Map<String, String> headers,
            List<String> subprotocols) {
        return open(vertx, url, handshake(URI.create(url), headers, subprotocols), null);
    }

    /**
     * Connects to {@code url} with {@code rawQuery} in the request line as given, even one that {@link URI} refuses
     * (a bad {@code %} escape, as a hand-written client may send).
     */
    public static TestClient connectWithRawQuery(String url, String rawQuery) {
        RawWebSocket.Handshake parsed = handshake(URI.create(url), Map.of(), List.of());
        String path = parsed.requestUri().split("\\?", 2)[0];
        RawWebSocket.Handshake handshake = new RawWebSocket.Handshake(parsed.host(), parsed.port(), parsed.tls(),
                path + "?" + rawQuery, parsed.headers(), parsed.subprotocols(), parsed.timeout(),
                parsed.maxMessageBytes(), parsed.closingTimeout());
        return await(open(sharedVertx(), url, handshake, null), url);
    }

    /**
     * Connects to the server behind {@code proxy}, which must target the server of {@code url}; the connection goes to
     * the proxy's port instead of the URL's. Such a client can {@link #drop()}.
     */
    public static TestClient connectThrough(TcpProxy proxy, String url) {
        return connectThrough(proxy, url, Map.of(), List.of());
    }

    /** {@link #connectThrough(TcpProxy, String)} with handshake headers and subprotocols. */
    public static TestClient connectThrough(TcpProxy proxy, String url, Map<String, String> headers,
            List<String> subprotocols) {
        return await(open(sharedVertx(), url, handshake(URI.create(url), headers, subprotocols, proxy), proxy), url);
    }

    private static TestClient await(Future<TestClient> connecting, String url) {
        try {
            return Futures.await(connecting, CONNECT_TIMEOUT.plusSeconds(1), "WebSocket upgrade of " + url);
        } catch (AssertionError timedOut) {
            connecting.onSuccess(late -> late.socket.close((short) 1000));
            throw timedOut;
        }
    }

    private static Future<TestClient> open(Vertx vertx, String url, RawWebSocket.Handshake handshake,
            TcpProxy route) {
        Inbox inbox = new Inbox(); // exists before the upgrade: frames that come with the 101 are recorded too
        return RawWebSocket.connect(vertx, handshake, inbox)
                .map(socket -> new TestClient(url, socket, inbox, route));
    }

    private static RawWebSocket.Handshake handshake(URI url, Map<String, String> headers, List<String> subprotocols) {
        return handshake(url, headers, subprotocols, null);
    }

    private static RawWebSocket.Handshake handshake(URI url, Map<String, String> headers, List<String> subprotocols,
            TcpProxy route) {
        String scheme = Objects.requireNonNullElse(url.getScheme(), "").toLowerCase();
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("not a ws:// or wss:// URL: " + url);
        }
        boolean tls = scheme.equals("wss");
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return new RawWebSocket.Handshake(
                route == null ? url.getHost() : "127.0.0.1",
                route == null ? (url.getPort() != -1 ? url.getPort() : tls ? 443 : 80) : route.port(),
                tls,
                url.getRawQuery() == null ? path : path + "?" + url.getRawQuery(),
                Map.copyOf(headers),
                List.copyOf(subprotocols),
                CONNECT_TIMEOUT,
                MAX_FRAME_BYTES,
                CLOSING_TIMEOUT);
    }

    // ---- sending

    /** Sends {@code text} as one text frame, as is. */
    public void send(String text) {
        requireOpen();
        socket.sendText(text);
    }

    /** Sends {@code messages} in one text frame, separated by {@code \n}. */
    public void sendJson(JsonObject... messages) {
        send(Frames.join(messages));
    }

    /** Sends one binary frame. */
    public void sendBinary(byte[] bytes) {
        requireOpen();
        socket.sendBinary(Buffer.buffer(bytes));
    }

    /** Sends a WebSocket ping frame; see {@link #pongCount()}. (Browsers cannot; this is for probing links.) */
    public void ping() {
        requireOpen();
        socket.ping(Buffer.buffer("testkit"));
    }

    private void requireOpen() {
        if (inbox.isClosed()) {
            throw new IllegalStateException("cannot send, " + this);
        }
    }

    // ---- what was received

    /** Every JSON message received so far, in order of arrival (a snapshot). */
    public List<JsonObject> frames() {
        return inbox.messages();
    }

    /** The messages received so far whose {@code type} is {@code type}. */
    public List<JsonObject> frames(String type) {
        return frames().stream().filter(ofType(type)).toList();
    }

    /** Every binary frame received so far. */
    public List<Buffer> binaryFrames() {
        return inbox.binaryFrames();
    }

    /** Text frames received so far (WebSocket messages, whatever the number of JSON messages in each). */
    public int textFrameCount() {
        return inbox.textFrames();
    }

    /** Pong frames received so far. */
    public int pongCount() {
        return inbox.pongs();
    }

    /** The first message received; PROTOCOL.md says it is a {@code welcome}. Waits up to 10 s for it. */
    public JsonObject welcome() {
        JsonObject first = inbox.awaitMatch(message -> true, 1, CONNECT_TIMEOUT, "first message");
        if (!"welcome".equals(first.getValue("type"))) {
            throw new AssertionError("first message is not a welcome: " + first.encode());
        }
        return first;
    }

    /** Waits for the first message of type {@code type} (received before the call or later). */
    public JsonObject await(String type, Duration timeout) {
        return inbox.awaitMatch(ofType(type), 1, timeout, "message of type " + type);
    }

    /** Waits for the first message that {@code match} accepts. */
    public JsonObject await(Predicate<JsonObject> match, Duration timeout) {
        return inbox.awaitMatch(match, 1, timeout, "matching message");
    }

    /** Waits for the first message whose {@code id} equals {@code id} (a reply or an error for that request). */
    public JsonObject awaitReply(String id, Duration timeout) {
        return inbox.awaitMatch(message -> id.equals(message.getValue("id")), 1, timeout, "reply with id " + id);
    }

    /** Waits until at least {@code count} messages of type {@code type} arrived. */
    public void awaitCount(String type, int count, Duration timeout) {
        if (count > 0) {
            inbox.awaitMatch(ofType(type), count, timeout, count + " messages of type " + type);
        }
    }

    private static Predicate<JsonObject> ofType(String type) {
        return message -> type.equals(message.getValue("type"));
    }

    // ---- closing

    /** Whether the connection is closed (both ways: the close is complete or the link died). */
    public boolean isClosed() {
        return inbox.isClosed();
    }

    /** The close code; null while open; {@value Inbox#ABNORMAL_CLOSURE} when the link died without a close frame. */
    public Integer closeCode() {
        return inbox.closeCode();
    }

    /** The reason of the peer's close frame; null while open or when there was none. */
    public String closeReason() {
        return inbox.closeReason();
    }

    /** Waits for the connection to close and returns the close code. */
    public int awaitClose(Duration timeout) {
        if (!inbox.awaitClosed(timeout)) {
            throw new AssertionError("not closed within " + timeout + ": " + inbox.describe());
        }
        return inbox.closeCode();
    }

    /** The subprotocol the server selected, or null. */
    public String subprotocol() {
        return socket.subprotocol();
    }

    /** This end of the TCP connection, as the server (or a proxy) sees its peer. */
    public SocketAddress localAddress() {
        return socket.localAddress();
    }

    /**
     * Closes normally (1000) and waits for the close handshake, at most 5 s. A peer that never answers (a
     * {@linkplain TcpProxy#blackhole(boolean) blackhole}) gets its TCP connection ended after 2 s, and the client
     * then reports 1006. Does nothing if already closed.
     */
    @Override
    public void close() {
        if (!inbox.isClosed()) {
            socket.close((short) 1000);
            inbox.awaitClosed(CLOSE_TIMEOUT);
        }
    }

    /**
     * Ends the TCP connection without a close frame: the server sees the link die (1006). Waits until this client sees
     * it too.
     *
     * @throws IllegalStateException unless this client was made by {@link #connectThrough(TcpProxy, String)}
     */
    public void drop() {
        if (route == null) {
            throw new IllegalStateException("drop() needs a client made by connectThrough(TcpProxy, url): the cut is"
                    + " made in the proxy");
        }
        if (!inbox.isClosed()) {
            route.cut(localAddress());
            awaitClose(CLOSE_TIMEOUT);
        }
    }

    @Override
    public String toString() {
        return "TestClient[" + url + ", " + inbox.describe().lines().findFirst().orElse("") + "]";
    }
}
