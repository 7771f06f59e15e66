package io.edgegw.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.observe.Draining;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServer;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

/**
 * Warms the JIT on the link set-up path before the gateway reports ready. A fresh JVM runs the upgrade, WebSockets
 * Next's endpoint and the session code in the interpreter and compiles them while browsers connect: a fresh gateway
 * took 3.5–4.0 s to connect 10,000 benchmark clients, 1.8–2.0 s after 60,000 warm-up links (benchmark scenario b,
 * 2026-11-26), and a fresh pod is just what a reconnect storm meets when another pod dies. So at start the gateway
 * opens {@code gateway.warmup.links} loopback links to its own {@code /ws}, each doing what a browser does first
 * (welcome, then a {@code subscribe} and its reply), held open in waves as a storm holds them, and readiness waits for
 * them, at most {@code gateway.warmup.max-duration}. They subscribe to a topic of their own, named at random per
 * process so that no browser shares it, that the cluster is never asked for (see {@code ClientSession#join}): a
 * subscribe was what a warmed gateway still compiled afresh under the first real storm when the links only
 * unsubscribed (its C2 time over 10,000 benchmark connects, one run each: 0.9 CPU-s, 0.4 with a subscribe).
 * <p>
 * The links carry a secret of this process in a header and take the browsers' path through the endpoint, but are
 * not browsers: no origin or token verdict, no session told to the cluster, not counted in the client metrics. Once
 * all are done, one full collection clears their dead sessions before readiness. The header is looked at only while
 * the warm-up runs. It only ever delays readiness, never prevents it: it is cut at the deadline, stops on a drain, is
 * abandoned with a warning once links fail, and does not run without a plain HTTP listener (TLS only).
 */
@Singleton
public class LinkWarmup {

    static final String HEADER = "X-Gateway-Warmup";
    /**
     * Links connecting at once, as many as the benchmark's clients keep in flight: with 32 the warm-up took longer
     * (12 s against 11 for 50,000) and the connects after it were no faster.
     */
    private static final int IN_FLIGHT = 256;
    /** Failed links before the warm-up gives up (a healthy gateway fails none). */
    private static final int MAX_FAILURES = 10;
    /** Links held open together, as a reconnect storm holds them. */
    private static final int WAVE = 1000;
    /** Time given to the close handshakes of a cut wave before the client itself is closed. */
    private static final long CLIENT_CLOSE_DELAY_MS = 5_000;
    private static final String WELCOME = "{\"type\":\"welcome\"";
    /** Followed by 128 random bits (URL-safe Base64: letters, digits, - and _, a valid topic segment). */
    private static final String TOPIC_PREFIX = "gateway-warm-up/";
    private static final String SUBSCRIBED = "{\"type\":\"subscribed\"";
    private static final String ERROR = "{\"type\":\"error\"";

    private static final Logger LOG = Logger.getLogger(LinkWarmup.class);

    private final Vertx vertx;
    private final Instance<HttpServer> httpServer;
    private final Draining draining;
    private final int links;
    private final Duration maxDuration;
    private final String secret;
    private final byte[] secretBytes;
    /** What every warm-up link sends after the welcome: a subscribe to this process's own warm-up topic. */
    private final String subscribe;

    /** Warm-up links are recognised only while this is set: afterwards no header is looked at. */
    private volatile boolean accepting;
    private volatile boolean over;
    /** Past it readiness stops waiting, whether or not the warm-up ever started. */
    private volatile long deadlineNanos = Long.MAX_VALUE;
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Links connected and not yet closed: a cut warm-up closes them (closing the client does not). */
    private final Set<WebSocket> openLinks = ConcurrentHashMap.newKeySet();
    private long startedAtNanos;
    private WebSocketClient client;
    private WebSocketConnectOptions options;

    public LinkWarmup(Vertx vertx, Instance<HttpServer> httpServer, Draining draining, GatewayConfig config) {
        this.vertx = vertx;
        this.httpServer = httpServer;
        this.draining = draining;
        this.links = config.warmup().links();
        this.maxDuration = config.warmup().maxDuration();
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        this.secretBytes = secret.getBytes(StandardCharsets.US_ASCII);
        byte[] topicRandom = new byte[16];
        new SecureRandom().nextBytes(topicRandom);
        String topic = TOPIC_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(topicRandom);
        this.subscribe = "{\"type\":\"subscribe\",\"id\":\"w\",\"topics\":[\"" + topic + "\"]}";
        this.over = links <= 0;
    }

    void armDeadline(@Observes StartupEvent event) {
        deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        if (!over && !plainHttpListens()) {
            // HttpServerStart, which starts the warm-up, comes only from the plain HTTP listener
            LOG.warn("warm-up off: gateway.warmup.links is set but the gateway has no plain HTTP listener"
                    + " (quarkus.http.insecure-requests=disabled or quarkus.http.host-enabled=false)");
            over = true;
        }
    }

    private static boolean plainHttpListens() {
        var config = ConfigProvider.getConfig();
        return config.getOptionalValue("quarkus.http.host-enabled", Boolean.class).orElse(true)
                && !"disabled".equalsIgnoreCase(
                        config.getOptionalValue("quarkus.http.insecure-requests", String.class).orElse("enabled"));
    }

    void start(@ObservesAsync HttpServerStart event) {
        if (over) {
            return;
        }
        String host = loopbackFor(event.options().getHost());
        int port = httpServer.isResolvable() ? httpServer.get().getPort() : event.options().getPort();
        String root = ConfigProvider.getConfig().getOptionalValue("quarkus.http.root-path", String.class).orElse("/");
        String path = (root.startsWith("/") ? "" : "/") + root + (root.endsWith("/") ? "" : "/") + "ws";
        LOG.infof("warm-up: %d loopback links to %s:%d%s before reporting ready (gateway.warmup.links)", links, host,
                port, path);
        client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(WAVE)
                .setClosingTimeout(1));
        options = new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path).addHeader(HEADER, secret);
        startedAtNanos = System.nanoTime();
        accepting = true;
        long deadline = deadlineNanos; // armed at StartupEvent, when that came first
        long cutAfterMs = deadline == Long.MAX_VALUE ? maxDuration.toMillis()
                : (deadline - System.nanoTime()) / 1_000_000;
        vertx.setTimer(Math.max(1, cutAfterMs), t -> finish(true)); // and the header stops counting with readiness
        nextWave();
    }

    /** The header value of this process's warm-up links. */
    String secret() {
        return secret;
    }

    /**
     * True for a link this warm-up opened; false for every link once it is over. After a cut, links that were still
     * connecting are recognised (and refused, see {@link #isFinished}) until the warm-up's client is closed, so that
     * none of them passes for a browser.
     */
    boolean claims(WebSocketConnection connection) {
        if (!accepting) {
            return false;
        }
        String offered = connection.handshakeRequest().header(HEADER);
        return offered != null && MessageDigest.isEqual(offered.getBytes(StandardCharsets.US_ASCII), secretBytes);
    }

    /** The warm-up has stopped opening links: a link it still claims is one cut while it connected. */
    boolean isFinished() {
        return finished.get();
    }

    /** Readiness waits for this: the warm-up finished, was abandoned, is off, or ran out of time. */
    public boolean isOver() {
        return over || System.nanoTime() - deadlineNanos > 0;
    }

    public int linksCompleted() {
        return completed.get();
    }

    public int linksPlanned() {
        return Math.max(0, links);
    }

    private void nextWave() {
        int left = links - started.get();
        if (over || left <= 0 || draining.isDraining() || failed.get() >= MAX_FAILURES) {
            finish(false);
            return;
        }
        int size = Math.min(WAVE, left);
        started.addAndGet(size);
        Wave wave = new Wave(size);
        for (int i = 0; i < Math.min(IN_FLIGHT, size); i++) {
            wave.openNext();
        }
    }

    /**
     * Links are opened {@link #IN_FLIGHT} at a time and stay open until the whole wave has answered, then close
     * together: a reconnect storm leaves thousands of links open at once (their idle timers, the registry), and the
     * JIT compiles for what it has seen; short-lived links alone left code that real browsers then deoptimised.
     */
    private final class Wave {
        private final int size;
        private final AtomicInteger toOpen;
        private final AtomicInteger settled = new AtomicInteger();
        private final AtomicInteger stillOpen = new AtomicInteger();
        private final Queue<WebSocket> answered = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean closing = new AtomicBoolean();
        private final AtomicBoolean ended = new AtomicBoolean();

        Wave(int size) {
            this.size = size;
            this.toOpen = new AtomicInteger(size);
        }

        void openNext() {
            if (failed.get() >= MAX_FAILURES || draining.isDraining()) {
                finish(false); // at once, not at the end of the wave: the rest would fail alike
                return;
            }
            if (over || toOpen.decrementAndGet() < 0) {
                return;
            }
            client.connect(options).onComplete(result -> {
                if (result.failed()) {
                    linkFailed(result.cause().toString());
                    settle();
                    openNext();
                    return;
                }
                WebSocket link = result.result();
                openLinks.add(link);
                if (finished.get()) { // cut while it connected: nothing more to do with it
                    openLinks.remove(link);
                    link.close((short) CloseCode.NORMAL.code());
                    return;
                }
                AtomicBoolean didAnswer = new AtomicBoolean();
                link.textMessageHandler(text -> {
                    if (text.startsWith(WELCOME)) {
                        link.writeTextMessage(subscribe);
                    } else if (text.startsWith(ERROR)) { // refused (a subscription or rate limit): a failed link
                        link.close((short) CloseCode.NORMAL.code());
                    } else if (text.startsWith(SUBSCRIBED) && didAnswer.compareAndSet(false, true)) {
                        stillOpen.incrementAndGet();
                        answered.add(link);
                        settle();
                        openNext();
                    }
                });
                link.exceptionHandler(e -> LOG.debugf("warm-up link: %s", e));
                link.closeHandler(v -> {
                    openLinks.remove(link);
                    if (!didAnswer.get()) {
                        linkFailed("closed with " + link.closeStatusCode() + " " + link.closeReason());
                        settle();
                        openNext();
                        return;
                    }
                    if (!finished.get()) {
                        completed.incrementAndGet();
                    }
                    if (stillOpen.decrementAndGet() == 0 && closing.get()) {
                        end();
                    }
                });
            });
        }

        private void settle() {
            if (settled.incrementAndGet() == size && closing.compareAndSet(false, true)) {
                for (WebSocket link : answered) {
                    link.close((short) CloseCode.NORMAL.code());
                }
                if (stillOpen.get() == 0) {
                    end();
                }
            }
        }

        private void end() {
            if (ended.compareAndSet(false, true)) {
                nextWave();
            }
        }
    }

    private void linkFailed(String why) {
        if (finished.get()) {
            return; // closed by the end of the warm-up itself
        }
        if (failed.incrementAndGet() == 1) {
            LOG.warnf("warm-up: a loopback link failed (%s)", why);
        }
    }

    private void finish(boolean outOfTime) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        double seconds = (System.nanoTime() - startedAtNanos) / 1e9;
        boolean inTime = !outOfTime && !isOver() && failed.get() < MAX_FAILURES && !draining.isDraining();
        if (inTime) {
            accepting = false; // every link has answered and closed: none is in flight
        } else {
            over = true; // links still connecting are claimed, and refused, until the client closes
        }
        if (failed.get() >= MAX_FAILURES) {
            LOG.warnf("warm-up abandoned after %d failed links (%d completed in %.1f s): ready without it",
                    failed.get(), completed.get(), seconds);
        } else if (draining.isDraining()) {
            LOG.infof("warm-up stopped by the drain after %d links", completed.get());
        } else {
            LOG.infof("warm-up: %d loopback links in %.1f s%s", completed.get(), seconds,
                    outOfTime ? " (cut at gateway.warmup.max-duration)"
                            : failed.get() > 0 ? " (" + failed.get() + " failed)" : "");
        }
        for (WebSocket link : openLinks) { // a cut wave: its links go now, with a close frame
            link.close((short) CloseCode.NORMAL.code());
        }
        vertx.setTimer(CLIENT_CLOSE_DELAY_MS, t -> { // after the close handshakes
            accepting = false;
            client.close();
            openLinks.clear();
        });
        if (inTime) {
            collectGarbage();
        }
    }

    /**
     * The warm-up's sessions, dead now, fill the old generation: left there, they cost the first storm of real
     * browsers a full collection in the middle of its connects (227 ms in a benchmark run, with SerialGC and 192 MiB).
     * Collected here, before readiness, that pause falls where nobody waits for it. Not when the warm-up was cut:
     * browsers are being served by then.
     */
    private void collectGarbage() {
        vertx.executeBlocking(() -> {
            long start = System.nanoTime();
            System.gc();
            return (System.nanoTime() - start) / 1_000_000;
        }, false).onComplete(result -> {
            over = true;
            if (result.succeeded()) {
                LOG.infof("warm-up: its garbage collected in %d ms", result.result());
            }
        });
    }

    private static String loopbackFor(String host) {
        if (host == null || host.isEmpty() || host.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        return host.equals("::") || host.equals("[::]") ? "::1" : host;
    }
}
