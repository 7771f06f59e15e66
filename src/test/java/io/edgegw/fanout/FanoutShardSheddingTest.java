package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * An event loop that cannot keep up drops the oldest topic messages from its queue and tells their subscribers
 * with gaps, in place and in order; session actions and control frames are never dropped. Runs on a real event
 * loop, held busy while the queue fills.
 */
class FanoutShardSheddingTest {

    private static final String PAYLOAD = "x".repeat(100);
    private static final long WEIGHT = PAYLOAD.length() + FanoutShard.QUEUED_OVERHEAD_BYTES;

    private final Vertx vertx = Vertx.vertx();
    private final ShedCountingListener listener = new ShedCountingListener();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** What one browser got, in order: message offsets as "t:e1:7", gap frames as the node would write them. */
    private static final class Browser implements Subscriber {
        private final List<String> seen = new ArrayList<>();

        @Override
        public boolean ignores(String topic) {
            return false;
        }

        @Override
        public synchronized boolean deliver(TopicDelivery delivery) {
            seen.add(delivery.isControl() ? (String) delivery.payload()
                    : delivery.topic() + ":" + delivery.epoch() + ":" + delivery.offset());
            return true;
        }

        @Override
        public void flush() {
        }

        /** A session action's mark, in the order the shard ran it. */
        synchronized void note(String mark) {
            seen.add(mark);
        }

        synchronized List<String> seen() {
            return List.copyOf(seen);
        }
    }

    private static TopicDelivery message(String topic, String epoch, long offset) {
        return new TopicDelivery(topic, epoch, offset, PAYLOAD, System.nanoTime());
    }

    private static void enqueueAll(FanoutShard shard, String topic, String epoch, long from, long to) {
        for (long offset = from; offset <= to; offset++) {
            shard.enqueue(message(topic, epoch, offset));
        }
    }

    private static String gap(String topic, String epoch, long from, long to) {
        return "{\"type\":\"gap\",\"topic\":\"" + topic + "\",\"epoch\":\"" + epoch + "\",\"from\":" + from + ",\"to\":"
                + to + "}";
    }

    /** A shard bounded at {@code messages} queued messages of {@link #PAYLOAD}, {@code browser} subscribed to t. */
    private FanoutShard shard(long messages, Browser browser) throws Exception {
        Context context = vertx.getOrCreateContext();
        FanoutShard shard = new FanoutShard(context, listener, DrainPacing.OFF, messages * WEIGHT);
        onLoop(context, () -> shard.subscribe("t", browser));
        return shard;
    }

    private static void onLoop(Context context, Runnable action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(ignored -> {
            action.run();
            done.complete(null);
        });
        done.get(5, TimeUnit.SECONDS);
    }

    private static long lastDeliveredOffset(FanoutShard shard, String topic) throws Exception {
        AtomicLong offset = new AtomicLong(-1);
        onLoop(shard.context(), () -> offset.set(shard.lastDelivered(topic).offset()));
        return offset.get();
    }

    /** Keeps the shard's loop busy until the returned latch is released, so that what is enqueued meanwhile waits. */
    private static CountDownLatch holdLoop(FanoutShard shard) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        shard.context().runOnContext(ignored -> {
            held.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    @Test
    void dropsTheOldestMessagesDownToHalfTheBoundAndSendsAGapInTheirPlace() throws Exception {
        Browser browser = new Browser();
        FanoutShard shard = shard(10, browser);
        CountDownLatch release = holdLoop(shard);
        enqueueAll(shard, "t", "e1", 1, 20);
        assertThat(shard.backlogBytes()).isEqualTo(20 * WEIGHT);
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> browser.seen().size() == 6);
        assertThat(browser.seen()).containsExactly(gap("t", "e1", 1, 15), "t:e1:16", "t:e1:17", "t:e1:18",
                "t:e1:19", "t:e1:20");
        assertThat(listener.shed).hasValue(15);
        assertThat(shard.backlogBytes()).isZero();
        assertThat(lastDeliveredOffset(shard, "t")).isEqualTo(20);
    }

    @Test
    void sessionActionsAndControlFramesKeepTheirPlaceAfterTheGapOfWhatCameBefore() throws Exception {
        Browser browser = new Browser();
        FanoutShard shard = shard(10, browser);
        CountDownLatch release = holdLoop(shard);
        enqueueAll(shard, "t", "e1", 1, 6);
        shard.enqueue((Runnable) () -> browser.note("action"));
        enqueueAll(shard, "t", "e1", 7, 9);
        shard.enqueue(new TopicDelivery("t", null, -1, "control", System.nanoTime()));
        enqueueAll(shard, "t", "e1", 10, 22);
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> browser.seen().contains("t:e1:22"));
        assertThat(browser.seen()).containsExactly(gap("t", "e1", 1, 6), "action", gap("t", "e1", 7, 9), "control",
                gap("t", "e1", 10, 17), "t:e1:18", "t:e1:19", "t:e1:20", "t:e1:21", "t:e1:22");
        assertThat(listener.shed).hasValue(17);
    }

    @Test
    void aNewEpochStartsANewGapAndTopicsWithoutSubscribersHereCountForNothing() throws Exception {
        Browser browser = new Browser();
        FanoutShard shard = shard(4, browser);
        CountDownLatch release = holdLoop(shard);
        shard.enqueue(message("t", "e1", 8));
        shard.enqueue(message("elsewhere", "e1", 1));
        shard.enqueue(message("t", "e1", 9));
        shard.enqueue(message("t", "e2", 0));
        shard.enqueue(message("elsewhere", "e1", 2));
        shard.enqueue(message("t", "e2", 1));
        shard.enqueue(message("t", "e2", 2));
        shard.enqueue(message("t", "e2", 3));
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> browser.seen().contains("t:e2:3"));
        assertThat(browser.seen()).containsExactly(gap("t", "e1", 8, 9), gap("t", "e2", 0, 1), "t:e2:2", "t:e2:3");
        assertThat(listener.shed).as("the messages of 'elsewhere' would have reached nobody here").hasValue(4);
    }

    @Test
    void droppingATopicsLastMessagesMovesItsPositionPastThem() throws Exception {
        Browser browser = new Browser();
        FanoutShard shard = shard(4, browser);
        CountDownLatch release = holdLoop(shard);
        shard.enqueue(message("t", "e1", 1));
        shard.enqueue(message("t", "e1", 2));
        enqueueAll(shard, "elsewhere", "e1", 1, 2);
        shard.enqueue(message("t", "e1", 3));
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> browser.seen().contains("t:e1:3"));
        assertThat(browser.seen()).containsExactly(gap("t", "e1", 1, 2), "t:e1:3");
        CountDownLatch held = holdLoop(shard);
        enqueueAll(shard, "t", "e1", 4, 9);
        shard.enqueue(message("elsewhere", "e1", 3));
        shard.enqueue(message("elsewhere", "e1", 4));
        held.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> browser.seen().contains(gap("t", "e1", 4, 9)));
        assertThat(lastDeliveredOffset(shard, "t")).as("a resume must not replay what the gap declared lost")
                .isEqualTo(9);
    }

    @Test
    void aSubscriberByTopicAndByPatternGetsOneGap() throws Exception {
        Browser browser = new Browser();
        FanoutShard shard = shard(2, browser);
        onLoop(shard.context(), () -> {
            shard.subscribe("p/t", browser);
            shard.subscribe("p/*", browser);
        });
        CountDownLatch release = holdLoop(shard);
        enqueueAll(shard, "p/t", "e1", 1, 5);
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> browser.seen().contains("p/t:e1:5"));
        assertThat(browser.seen()).containsExactly(gap("p/t", "e1", 1, 4), "p/t:e1:5");
    }

    @Test
    void aLoopThatKeepsUpDropsNothing() throws Exception {
        Browser browser = new Browser();
        FanoutShard shard = shard(10, browser);
        for (int offset = 1; offset <= 200; offset++) {
            shard.enqueue(message("t", "e1", offset));
            if (offset % 5 == 0) {
                int last = offset;
                await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(5))
                        .until(() -> browser.seen().contains("t:e1:" + last));
            }
        }
        assertThat(browser.seen()).hasSize(200).noneMatch(seen -> seen.contains("gap"));
        assertThat(listener.shed).hasValue(0);
    }
}
