package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.concurrent.CompletableFuture;

/**
 * Publishes at a fixed rate, round-robin over {@code topics} topics, on the upstream side's single event loop: every
 * millisecond it hands the sink what is due since the start (at most a tenth of a second's worth: a stalled loop does
 * not turn into a flood), then flushes once. Each message carries its send time and its topic sequence number.
 */
final class Publisher {

    /** Where messages go: the bench cluster (to the gateway) or a NATS connection. Called on the publisher's loop. */
    interface Sink {
        void add(int topic, long seq, byte[] payload);

        void flush();
    }

    private final Vertx vertx;
    private final Context context;
    private final Sink sink;
    private final long[] heads;
    private final byte[] payload = new byte[Payload.LENGTH];
    private volatile long published;
    private int nextTopic;

    Publisher(Vertx vertx, Context context, Sink sink, int topics) {
        this.vertx = vertx;
        this.context = context;
        this.sink = sink;
        this.heads = new long[topics];
    }

    long published() {
        return published;
    }

    /** A copy of the last sequence number published per topic; call when no run is going on. */
    long[] heads() {
        CompletableFuture<long[]> copy = new CompletableFuture<>();
        context.runOnContext(v -> copy.complete(heads.clone()));
        return copy.join();
    }

    /**
     * Publishes {@code ratePerSecond} messages per second for {@code durationNanos}, or until {@code maxMessages} are
     * out; completes with the number published in this run.
     */
    CompletableFuture<Long> run(double ratePerSecond, long durationNanos, long maxMessages) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            long start = System.nanoTime();
            long cap = Math.max(1, (long) (ratePerSecond / 10));
            long[] sent = {0};
            vertx.setPeriodic(1, id -> {
                long now = System.nanoTime();
                long elapsed = now - start;
                long due = Math.min(maxMessages, (long) (elapsed * ratePerSecond / 1e9)) - sent[0];
                if (due > cap) {
                    due = cap;
                }
                if (due > 0) {
                    for (long i = 0; i < due; i++) {
                        int topic = nextTopic;
                        nextTopic = topic + 1 == heads.length ? 0 : topic + 1;
                        long seq = ++heads[topic];
                        Payload.write(payload, System.nanoTime(), seq);
                        sink.add(topic, seq, payload);
                    }
                    sink.flush();
                    sent[0] += due;
                    published += due;
                }
                if (elapsed >= durationNanos || sent[0] >= maxMessages) {
                    vertx.cancelTimer(id);
                    done.complete(sent[0]);
                }
            });
        });
        return done;
    }
}
