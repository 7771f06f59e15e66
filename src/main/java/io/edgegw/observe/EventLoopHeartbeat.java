package io.edgegw.observe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;

/**
 * Measures how far behind each Vert.x event loop is: a thread of its own posts a tiny task to every loop of
 * {@link Vertx#nettyEventLoopGroup()} at a fixed interval, and a loop's lag is how long its oldest task waited (or,
 * while one is still waiting, has been waiting). A healthy loop runs it within milliseconds; a blocked loop never
 * does, so its lag grows until it is released. At most one task per loop is outstanding, so a blocked loop does not
 * pile them up.
 *
 * <p>Threads: {@link #lags()} and {@link #maxLagNanos()} may be called from any thread; the per-loop fields are
 * written by the posting thread and by the loop itself, through volatiles.
 */
public final class EventLoopHeartbeat implements AutoCloseable {

    /** One event loop's heartbeat state. */
    private static final class Loop {
        final EventExecutor executor;
        volatile String name;
        /** {@link System#nanoTime()} at which the outstanding task was posted; 0 when none is outstanding. */
        volatile long postedNanos;
        volatile long lastLagNanos;

        Loop(EventExecutor executor, String name) {
            this.executor = executor;
            this.name = name;
        }
    }

    /** One loop's lag, for the liveness check's data. */
    public record Lag(String loop, long lagNanos) {
    }

    private final List<Loop> loops = new ArrayList<>();
    private final ScheduledExecutorService poster;

    /** Starts posting to every event loop of {@code vertx} every {@code interval}. */
    public EventLoopHeartbeat(Vertx vertx, Duration interval) {
        int index = 0;
        for (EventExecutor executor : vertx.nettyEventLoopGroup()) {
            loops.add(new Loop(executor, "event-loop-" + index++));
        }
        poster = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "gateway-event-loop-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        long periodNanos = Math.max(1, interval.toNanos());
        poster.scheduleAtFixedRate(this::beat, 0, periodNanos, TimeUnit.NANOSECONDS);
    }

    /** A heartbeat interval that samples a threshold often enough: a tenth of it, between 10 ms and 1 s. */
    public static Duration intervalFor(Duration stallThreshold) {
        long millis = Math.min(1000, Math.max(10, stallThreshold.toMillis() / 10));
        return Duration.ofMillis(millis);
    }

    private void beat() {
        for (Loop loop : loops) {
            if (loop.postedNanos != 0) {
                continue; // the previous task has not run yet: the loop is busy or blocked
            }
            long posted = System.nanoTime();
            loop.postedNanos = posted;
            try {
                loop.executor.execute(() -> {
                    loop.lastLagNanos = System.nanoTime() - posted;
                    loop.name = Thread.currentThread().getName();
                    loop.postedNanos = 0;
                });
            } catch (RejectedExecutionException shuttingDown) {
                loop.postedNanos = 0;
            }
        }
    }

    private static long lagOf(Loop loop, long now) {
        long posted = loop.postedNanos;
        return posted == 0 ? loop.lastLagNanos : Math.max(loop.lastLagNanos, now - posted);
    }

    /** Every loop's current lag, in loop order. */
    public List<Lag> lags() {
        long now = System.nanoTime();
        List<Lag> result = new ArrayList<>(loops.size());
        for (Loop loop : loops) {
            result.add(new Lag(loop.name, lagOf(loop, now)));
        }
        return result;
    }

    /** The largest lag of any loop. */
    public long maxLagNanos() {
        long now = System.nanoTime();
        long max = 0;
        for (Loop loop : loops) {
            max = Math.max(max, lagOf(loop, now));
        }
        return max;
    }

    public int loopCount() {
        return loops.size();
    }

    @Override
    public void close() {
        poster.shutdownNow();
    }
}
