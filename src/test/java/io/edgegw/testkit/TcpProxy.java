package io.edgegw.testkit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A fault-injecting TCP proxy on 127.0.0.1: put it between two peers (a browser and the gateway, the gateway and a
 * node) and break the link between them on demand. Bytes are relayed unchanged, with backpressure (a slow reader
 * slows the writer down instead of filling the proxy's memory), and when one side closes the other is closed.
 *
 * <p>Faults:
 * <ul>
 *   <li>{@link #cut()}: every connection ends at once, on both sides, with no WebSocket close frame: each peer sees the
 *       link die (1006). New connections are still accepted.</li>
 *   <li>{@link #blackhole(boolean)}: bytes in both directions are swallowed, connections stay open (a WebSocket ping
 *       gets no pong), new connections are accepted and swallowed too. Closes still pass. When it ends, connections
 *       that swallowed bytes are cut, since their streams lost data; those that swallowed nothing go on.</li>
 *   <li>{@link #stall(SocketAddress, boolean)}: the proxy stops reading what the target sends on one connection (a
 *       browser that stopped reading): the target's writes pile up in its socket buffers and then in its own
 *       memory, as they would for a frozen tab. While both ends stay up nothing is lost: resuming relays it all.</li>
 *   <li>{@link #holdClientBytes(boolean)}: on every open connection the proxy stops relaying what the client sends
 *       (a node whose requests wait behind a slow store) while what the target sends still flows; resuming relays it
 *       all.</li>
 *   <li>{@link #refuse(boolean)}: new connections are closed right after accept (a connect attempt that fails after
 *       TCP connected, e.g. in the WebSocket handshake).</li>
 *   <li>{@link #retarget(String, int)}: new connections go elsewhere; established ones stay.</li>
 * </ul>
 * Fault methods take effect before they return (when called off the event loops).
 *
 * <p>Threads: the proxy's server and the connections live on one event loop of its Vert.x; test threads change the
 * volatile switches and hop onto that loop to cut connections. Every accept counts, refused ones included, so
 * {@link #acceptTimesNanos()} measures reconnect delays whatever the fault.
 */
public final class TcpProxy implements AutoCloseable {

    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(5);
    private static final int TARGET_RECEIVE_BUFFER_BYTES = 256 * 1024;

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final NetClient connector;
    private final Set<ProxiedLink> links = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final List<Long> acceptTimes = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile SocketAddress target;
    private volatile boolean blackholed;
    private volatile boolean refusing;
    private NetServer server;

    private TcpProxy(Vertx vertx, boolean ownsVertx, SocketAddress target) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.target = target;
        // a fixed receive buffer toward the target: a stalled link pushes back after a known amount, not after the
        // tens of MiB that Linux' receive-buffer autotuning allows on loopback
        this.connector = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000)
                .setReceiveBufferSize(TARGET_RECEIVE_BUFFER_BYTES));
    }

    /** Starts a proxy to {@code targetHost:targetPort} on its own Vert.x (daemon threads), listening when it returns. */
    public static TcpProxy start(String targetHost, int targetPort) {
        Vertx own = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setUseDaemonThread(true));
        try {
            return new TcpProxy(own, true, SocketAddress.inetSocketAddress(targetPort, targetHost)).listen();
        } catch (RuntimeException | Error e) {
            own.close();
            throw e;
        }
    }

    /** Starts a proxy on {@code vertx}, which it will not close, listening when it returns. */
    public static TcpProxy start(Vertx vertx, String targetHost, int targetPort) {
        return new TcpProxy(vertx, false, SocketAddress.inetSocketAddress(targetPort, targetHost)).listen();
    }

    private TcpProxy listen() {
        server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
                .connectHandler(this::accept);
        Futures.await(server.listen(), SETTLE_TIMEOUT, "proxy listen");
        return this;
    }

    private void accept(NetSocket socket) {
        synchronized (acceptTimes) {
            acceptTimes.add(System.nanoTime());
        }
        accepted.incrementAndGet();
        if (refusing) {
            socket.exceptionHandler(ignored -> { });
            socket.close();
            return;
        }
        ProxiedLink link = new ProxiedLink(socket, Vertx.currentContext(), () -> blackholed, links::remove);
        links.add(link);
        connector.connect(target).onComplete(link::attach);
    }

    /** The port the proxy listens on, at 127.0.0.1. */
    public int port() {
        return server.actualPort();
    }

    /** New connections go to {@code host:port}; established ones stay where they are. */
    public void retarget(String host, int port) {
        target = SocketAddress.inetSocketAddress(port, host);
    }

    /** Ends every connection on both sides without a close frame; the peers see 1006. New ones are still accepted. */
    public void cut() {
        settle(onLinks(link -> true, ProxiedLink::cut), "cut");
    }

    /** Ends only the connection accepted from {@code client} (e.g. {@link TestClient#localAddress()}). */
    public void cut(SocketAddress client) {
        settle(onLinks(link -> sameEndpoint(link.clientAddress(), client), ProxiedLink::cut), "cut of " + client);
    }

    /** Stops or resumes reading from the target on the connection accepted from {@code client}; see the class comment. */
    public void stall(SocketAddress client, boolean on) {
        List<ProxiedLink> matched = links.stream().filter(link -> sameEndpoint(link.clientAddress(), client)).toList();
        if (matched.size() != 1) {
            throw new IllegalStateException(matched.size() + " open connections from " + client + " to stall");
        }
        settle(matched.get(0).stall(on), (on ? "stall of " : "end of stall of ") + client);
    }

    /** Holds (or relays again) what clients send on every open connection; see the class comment. */
    public void holdClientBytes(boolean on) {
        settle(onLinks(link -> true, link -> link.holdClientBytes(on)), on ? "hold of client bytes" : "end of hold");
    }

    /** Swallows all bytes while on; see the class comment for what happens when it ends. */
    public void blackhole(boolean on) {
        blackholed = on;
        if (!on) {
            settle(onLinks(link -> true, ProxiedLink::closeIfBytesLost), "end of blackhole");
        }
    }

    /** Closes new connections right after accept while on. */
    public void refuse(boolean on) {
        refusing = on;
    }

    /** Connections accepted and not yet closed. */
    public int openConnections() {
        return links.size();
    }

    /** Connections accepted since start, refused ones included. */
    public long acceptedConnections() {
        return accepted.get();
    }

    /** {@link System#nanoTime()} of every accept, in order, refused ones included. */
    public List<Long> acceptTimesNanos() {
        synchronized (acceptTimes) {
            return List.copyOf(acceptTimes);
        }
    }

    /** Stops listening, cuts every connection and, if the proxy started its own Vert.x, closes it. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        refusing = true;
        settle(server.close(), "proxy close");
        cut();
        settle(connector.close(), "proxy close");
        if (ownsVertx) {
            settle(vertx.close(), "proxy close");
        }
    }

    private Future<?> onLinks(Predicate<ProxiedLink> which, Function<ProxiedLink, Future<Void>> action) {
        return Future.join(links.stream().filter(which).map(action).toList());
    }

    /** Waits for a fault to take effect, except on a Vert.x thread, which must not block (it may be needed). */
    private static void settle(Future<?> done, String what) {
        if (!Context.isOnVertxThread()) {
            Futures.await(done, SETTLE_TIMEOUT, what);
        }
    }

    private static boolean sameEndpoint(SocketAddress a, SocketAddress b) {
        return a.port() == b.port() && a.hostAddress().equals(b.hostAddress());
    }

    @Override
    public String toString() {
        return "TcpProxy[127.0.0.1:" + port() + " -> " + target + ", open " + links.size() + "]";
    }
}
