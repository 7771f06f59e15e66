package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Drains on a real event loop. Pacing: after a drain longer than the threshold, what arrives during the pause leaves
 * in one flush when the pause ends; without pacing every arrival is flushed as it comes. Bounds: a backlog leaves in
 * frames of at most {@link FanoutShard#MAX_ITEMS_PER_DRAIN} messages, in order.
 */
class FanoutShardDrainTest {

    private static final Duration LONG_DRAIN = Duration.ofMillis(60);
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** Counts flushes and what each carried; deliver and flush run on the shard's loop, reads synchronise. */
    private static final class Recorder implements Subscriber {
        private final List<List<Long>> flushes = new ArrayList<>();
        private final List<Long> pending = new ArrayList<>();
        private final List<Long> flushedAtNanos = new ArrayList<>();
        private final List<Long> firstDeliveryAtNanos = new ArrayList<>();
        /** CPU each delivery costs, to make drains long. */
        private long deliverSpinNanos;
        private FanoutShard shard;

        @Override
        public boolean ignores(String topic) {
            return false;
        }

        @Override
        public synchronized boolean deliver(TopicDelivery delivery) {
            if (pending.isEmpty()) {
                shard.touched(this);
                firstDeliveryAtNanos.add(System.nanoTime());
            }
            pending.add(delivery.offset());
            long until = System.nanoTime() + deliverSpinNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return true;
        }

        @Override
        public synchronized void flush() {
            flushes.add(List.copyOf(pending));
            flushedAtNanos.add(System.nanoTime());
            pending.clear();
        }

        synchronized int delivered() {
            return flushes.stream().mapToInt(List::size).sum();
        }

        synchronized List<List<Long>> flushes() {
            return List.copyOf(flushes);
        }

        synchronized long lastFlushNanos() {
            return flushedAtNanos.get(flushedAtNanos.size() - 1);
        }

        /** The pause before each drain after the first: from one flush to the next drain's first delivery. */
        synchronized List<Duration> pauses() {
            List<Duration> pauses = new ArrayList<>();
            for (int i = 1; i < firstDeliveryAtNanos.size(); i++) {
                pauses.add(Duration.ofNanos(firstDeliveryAtNanos.get(i) - flushedAtNanos.get(i - 1)));
            }
            return pauses;
        }
    }

    /** A shard on a fresh context of the test's Vert.x, with one recording subscriber of topic "t". */
    private Recorder subscribedTo(DrainPacing pacing) throws Exception {
        Context context = vertx.getOrCreateContext();
        Recorder recorder = new Recorder();
        recorder.shard = new FanoutShard(context, new ShedCountingListener(), pacing, Long.MAX_VALUE);
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(ignored -> {
            recorder.shard.subscribe("t", recorder);
            done.complete(null);
        });
        done.get(5, TimeUnit.SECONDS);
        return recorder;
    }

    private static TopicDelivery message(long offset) {
        return new TopicDelivery("t", "e1", offset, "{\"offset\":" + offset + "}", System.nanoTime());
    }

    /**
     * Keeps the loop busy for {@link #LONG_DRAIN}, then enqueues {@code count} messages {@code apartMs} apart. The
     * first is enqueued only once that drain is over: taken by it, it would make the drain one of single messages,
     * which pacing does not pause after.
     */
    private static long longDrainThenMessages(FanoutShard shard, int count, long apartMs) throws Exception {
        CompletableFuture<Long> busyEnded = new CompletableFuture<>();
        shard.enqueue((Runnable) () -> {
            long until = System.nanoTime() + LONG_DRAIN.toNanos();
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            // a task of its own runs after the drain that runs this one has set its pause
            shard.context().runOnContext(ignored -> busyEnded.complete(System.nanoTime()));
        });
        long ended = busyEnded.get(5, TimeUnit.SECONDS);
        for (int i = 1; i <= count; i++) {
            shard.enqueue(message(i));
            TimeUnit.MILLISECONDS.sleep(apartMs); // arrivals spread out, as a publisher's would be
        }
        return ended;
    }

    @Test
    void afterALongDrainWhatArrivesDuringThePauseLeavesInOneFlush() throws Exception {
        Recorder recorder = subscribedTo(DrainPacing.of(1.0, Duration.ofMillis(2), Duration.ofMillis(200),
                Duration.ofMillis(200)));
        FanoutShard shard = recorder.shard;

        long busyEnded = longDrainThenMessages(shard, 5, 2);

        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.delivered() == 5);
        assertThat(recorder.flushes()).containsExactly(List.of(1L, 2L, 3L, 4L, 5L));
        // the pause is as long as the drain before it (60 ms), give or take the timer's millisecond
        assertThat(Duration.ofNanos(recorder.lastFlushNanos() - busyEnded)).isGreaterThan(Duration.ofMillis(45));
    }

    @Test
    void thePauseIsCappedByTheMaximum() throws Exception {
        Recorder recorder = subscribedTo(DrainPacing.of(10.0, Duration.ofMillis(2), Duration.ofMillis(5),
                Duration.ofMillis(5)));
        FanoutShard shard = recorder.shard;

        long busyEnded = longDrainThenMessages(shard, 1, 0);

        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.delivered() == 1);
        // 10 × 60 ms = 600 ms uncapped, 5 ms capped
        assertThat(Duration.ofNanos(recorder.lastFlushNanos() - busyEnded)).isLessThan(Duration.ofMillis(300));
    }

    @Test
    void whileTheLoopFallsBehindThePauseCapGrowsTowardsTheMaximum() throws Exception {
        // cap 1 ms while keeping up; each drain of a bounded batch takes >= 10 ms (40 µs per delivery)
        Recorder recorder = subscribedTo(DrainPacing.of(1.0, Duration.ofMillis(2), Duration.ofMillis(1),
                Duration.ofMillis(200)));
        recorder.deliverSpinNanos = 40_000;
        FanoutShard shard = recorder.shard;
        CompletableFuture<Void> release = new CompletableFuture<>();
        shard.enqueue((Runnable) () -> release.join());
        int backlog = 4 * FanoutShard.MAX_ITEMS_PER_DRAIN - 1; // with the blocking task: four full drains
        for (int i = 1; i <= backlog; i++) {
            shard.enqueue(message(i));
        }
        release.complete(null);

        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.delivered() == backlog);
        // three drains stopped at their bound with more queued: cap 2, 4, then 8 ms (a fixed 1 ms cap would
        // have resumed within about a millisecond each time)
        List<Duration> pauses = recorder.pauses();
        assertThat(pauses).hasSize(3);
        assertThat(pauses.get(1)).isGreaterThanOrEqualTo(Duration.ofMillis(4));
        assertThat(pauses.get(2)).isGreaterThanOrEqualTo(Duration.ofMillis(8));
    }

    @Test
    void withoutPacingArrivalsAreFlushedAsTheyCome() throws Exception {
        Recorder recorder = subscribedTo(DrainPacing.OFF);
        FanoutShard shard = recorder.shard;

        longDrainThenMessages(shard, 5, 15);

        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.delivered() == 5);
        // each arrival is drained on its own (a loop delayed by more than 15 ms may join two, hence "most")
        assertThat(recorder.flushes()).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void aBacklogLeavesInBoundedFramesInOrder() throws Exception {
        Recorder recorder = subscribedTo(DrainPacing.OFF);
        FanoutShard shard = recorder.shard;
        CompletableFuture<Void> release = new CompletableFuture<>();
        shard.enqueue((Runnable) () -> release.join()); // the loop is busy while the backlog builds up
        for (int i = 1; i <= 1000; i++) {
            shard.enqueue(message(i));
        }
        release.complete(null);

        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.delivered() == 1000);
        List<List<Long>> flushes = recorder.flushes();
        assertThat(flushes).allSatisfy(flush -> assertThat(flush).hasSizeLessThanOrEqualTo(
                FanoutShard.MAX_ITEMS_PER_DRAIN));
        assertThat(flushes.stream().flatMap(List::stream).toList())
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, 1000).boxed().toList());
    }
}
