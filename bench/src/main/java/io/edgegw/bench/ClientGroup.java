package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntUnaryOperator;

/**
 * The benchmark's clients against one server: their own Vert.x instance with one event loop per core, and one
 * {@link ContextStats} per loop. Connecting, snapshots and closing are driven from the main thread.
 */
final class ClientGroup implements AutoCloseable {

    private final Vertx vertx;
    private final WebSocketClient client;
    private final Context[] contexts;
    private final ContextStats[] stats;
    private final List<ClientLink> links = new ArrayList<>();
    final Window window = new Window();
    private final Target target;
    private final String host;
    private final int port;
    private final long keepAliveTimer;
    private final boolean browserHeaders;

    /**
     * What Chrome sends with a WebSocket upgrade besides the handshake's own headers and Origin (no cookies: a page
     * with cookies for the gateway's host sends them too).
     */
    private static final String[][] BROWSER_HEADERS = {
            {"Pragma", "no-cache"},
            {"Cache-Control", "no-cache"},
            {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"
                    + " Safari/537.36"},
            {"Accept-Encoding", "gzip, deflate, br, zstd"},
            {"Accept-Language", "en-US,en;q=0.9"},
            {"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"},
    };

    ClientGroup(Target target, String host, int port, int loops, boolean browserHeaders) {
        this.target = target;
        this.browserHeaders = browserHeaders;
        this.host = host;
        this.port = port;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setWorkerPoolSize(1)
                .setMaxEventLoopExecuteTime(10).setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
        this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(100_000)
                .setMaxFrameSize(64 * 1024 * 1024)
                .setMaxMessageSize(64 * 1024 * 1024)
                .setConnectTimeout(30_000)
                .setTryUsePerMessageCompression(false));
        this.contexts = new Context[loops];
        this.stats = new ContextStats[loops];
        for (int i = 0; i < loops; i++) {
            contexts[i] = vertx.getOrCreateContext();   // off a Vert.x thread: a new context on the next event loop
            stats[i] = new ContextStats();
        }
        // the gateway expects an application ping from a quiet browser every heartbeat (25 s)
        this.keepAliveTimer = vertx.setPeriodic(20_000, id -> {
            for (int i = 0; i < contexts.length; i++) {
                ContextStats s = stats[i];
                contexts[i].runOnContext(v -> s.links.forEach(ClientLink::ping));
            }
        });
    }

    int size() {
        return links.size();
    }

    /**
     * Connects {@code count} more clients, at most {@code concurrency} handshakes at once, client {@code i} on topic
     * {@code topicOf(i)}; returns once all are subscribed (or failed, or the time limit passed).
     */
    ConnectResult connect(int count, IntUnaryOperator topicOf, int concurrency, long timeoutMillis,
                          BooleanSupplier serverAlive) throws InterruptedException {
        List<ClientLink> added = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int loop = (links.size() + i) % contexts.length;
            ClientLink link = new ClientLink(topicOf.applyAsInt(i), contexts[loop], stats[loop], target, window);
            added.add(link);
        }
        List<List<ClientLink>> byLoop = new ArrayList<>();
        for (int i = 0; i < contexts.length; i++) {
            byLoop.add(new ArrayList<>());
        }
        for (ClientLink link : added) {
            byLoop.get(indexOf(link.context)).add(link);
        }
        runOnEachLoop(i -> stats[i].links.addAll(byLoop.get(i)));
        links.addAll(added);
        long started = System.nanoTime();
        ConnectResult result = connectAll(added, false, concurrency, timeoutMillis, serverAlive);
        return result.withMillis((System.nanoTime() - started) / 1e6);
    }

    /** Reconnects the clients whose socket closed (a server dropped them as slow consumers); how many it tried. */
    int reconnectClosed(int concurrency, long timeoutMillis, BooleanSupplier serverAlive) throws InterruptedException {
        List<ClientLink> closed = new ArrayList<>();
        for (List<ClientLink> part : onEachLoop(i -> stats[i].links.stream().filter(l -> !l.isOpen()).toList())) {
            closed.addAll(part);
        }
        if (!closed.isEmpty()) {
            connectAll(closed, true, concurrency, timeoutMillis, serverAlive);
        }
        return closed.size();
    }

    private ConnectResult connectAll(List<ClientLink> batch, boolean reconnect, int concurrency, long timeoutMillis,
                                     BooleanSupplier serverAlive) throws InterruptedException {
        Semaphore slots = new Semaphore(concurrency);
        CountDownLatch done = new CountDownLatch(batch.size());
        AtomicInteger failed = new AtomicInteger();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (ClientLink link : batch) {
            boolean acquired = false;
            while (!acquired && System.nanoTime() < deadline && serverAlive.getAsBoolean()) {
                acquired = slots.tryAcquire(200, TimeUnit.MILLISECONDS);
            }
            if (!acquired) {
                break;
            }
            link.context.runOnContext(v -> {
                Runnable finished = once(() -> {
                    slots.release();
                    done.countDown();
                });
                WebSocketConnectOptions options = new WebSocketConnectOptions()
                        .setHost(host).setPort(port).setURI(target.path()).setTimeout(30_000);
                if (browserHeaders) {
                    for (String[] header : BROWSER_HEADERS) {
                        options.addHeader(header[0], header[1]);
                    }
                }
                client.connect(options).onComplete(ar -> {
                    if (ar.failed()) {
                        failed.incrementAndGet();
                        finished.run();
                    } else {
                        link.attach(ar.result(), reconnect, finished);
                        ar.result().closeHandler(x -> {
                            link.markClosed();
                            finished.run();   // no-op once subscribed
                        });
                    }
                });
            });
        }
        boolean all = false;
        while (!all && System.nanoTime() < deadline && serverAlive.getAsBoolean()) {
            all = done.await(200, TimeUnit.MILLISECONDS);
        }
        int ready = 0;
        for (long n : onEachLoop(i -> stats[i].links.stream().filter(ClientLink::isReady).count())) {
            ready += (int) n;
        }
        return new ConnectResult(batch.size(), ready, failed.get(), all, 0);
    }

    private static Runnable once(Runnable r) {
        boolean[] ran = new boolean[1];
        return () -> {
            if (!ran[0]) {
                ran[0] = true;
                r.run();
            }
        };
    }

    private int indexOf(Context context) {
        for (int i = 0; i < contexts.length; i++) {
            if (contexts[i] == context) {
                return i;
            }
        }
        throw new IllegalArgumentException("not one of this group's contexts");
    }

    /** Runs {@code task(i)} on each loop {@code i}, in that loop's thread, and waits for all the answers. */
    private <T> List<T> onEachLoop(java.util.function.IntFunction<T> task) {
        List<CompletableFuture<T>> parts = new ArrayList<>();
        for (int i = 0; i < contexts.length; i++) {
            int loop = i;
            CompletableFuture<T> part = new CompletableFuture<>();
            contexts[i].runOnContext(v -> {
                try {
                    part.complete(task.apply(loop));
                } catch (RuntimeException e) {
                    part.completeExceptionally(e);
                }
            });
            parts.add(part);
        }
        return parts.stream().map(CompletableFuture::join).toList();
    }

    private void runOnEachLoop(java.util.function.IntConsumer task) {
        onEachLoop(i -> {
            task.accept(i);
            return Boolean.TRUE;
        });
    }

    /** Sums every loop's counters (and resets the window counters); {@code heads}: the publisher's per topic. */
    ContextStats.Snapshot snapshot(long[] heads) {
        ContextStats.Snapshot total = new ContextStats.Snapshot();
        List<ContextStats.Snapshot> parts = onEachLoop(i -> {
            ContextStats.Snapshot p = new ContextStats.Snapshot();
            stats[i].drainInto(p, heads);
            return p;
        });
        for (ContextStats.Snapshot p : parts) {
            total.latency.add(p.latency);
            total.windowMessages += p.windowMessages;
            total.windowFrames += p.windowFrames;
            total.windowBytes += p.windowBytes;
            total.received += p.received;
            total.duplicates += p.duplicates;
            total.lost += p.lost;
            total.undelivered += p.undelivered;
            total.gapLines += p.gapLines;
            total.errors += p.errors;
            total.other += p.other;
            total.open += p.open;
            total.closed += p.closed;
            total.afterCut.addAll(p.afterCut);
        }
        return total;
    }

    /** Total messages received so far, without resetting anything: to see when delivery has drained. */
    long receivedSoFar() {
        return onEachLoop(i -> stats[i].links.stream().mapToLong(ClientLink::receivedCount).sum())
                .stream().mapToLong(Long::longValue).sum();
    }

    void resetCut() {
        runOnEachLoop(i -> stats[i].links.forEach(ClientLink::resetForCut));
    }

    @Override
    public void close() {
        for (int i = 0; i < contexts.length; i++) {
            ContextStats s = stats[i];
            contexts[i].runOnContext(v -> s.links.forEach(ClientLink::close));
        }
        vertx.cancelTimer(keepAliveTimer);
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
    }

    /** How a batch of connects went; {@code millis}: wall time until every client was subscribed. */
    record ConnectResult(int attempted, int ready, int failed, boolean allDone, double millis) {
        ConnectResult withMillis(double elapsed) {
            return new ConnectResult(attempted, ready, failed, allDone, elapsed);
        }
    }
}
