package io.edgegw.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/** The event-loop heartbeat behind liveness, on a Vert.x of its own with two loops, one of which the test blocks. */
class EventLoopHeartbeatTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Vertx vertx;
    private EventLoopHeartbeat heartbeat;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setUseDaemonThread(true)
                .setBlockedThreadCheckInterval(1).setBlockedThreadCheckIntervalUnit(TimeUnit.HOURS));
        heartbeat = new EventLoopHeartbeat(vertx, Duration.ofMillis(10));
        // each loop has run a beat, so the lags carry the loops' thread names
        await().atMost(WAIT).until(() -> heartbeat.lags().stream().allMatch(l -> l.loop().startsWith("vert.x-")));
    }

    @AfterEach
    void stop() {
        release.countDown();
        heartbeat.close();
        vertx.close();
    }

    @Test
    void coversEveryEventLoopAndReportsSmallLagsWhenIdle() {
        assertThat(heartbeat.loopCount()).isEqualTo(2);
        assertThat(heartbeat.lags()).extracting(EventLoopHeartbeat.Lag::loop).doesNotHaveDuplicates();
        assertThat(heartbeat.maxLagNanos()).isLessThan(Duration.ofSeconds(1).toNanos());
        assertThat(EventLoopLiveness.report(heartbeat.lags(), Duration.ofSeconds(1)).getStatus())
                .isEqualTo(HealthCheckResponse.Status.UP);
    }

    @Test
    void aBlockedLoopIsDownPastTheThresholdAndUpOnceReleased() {
        String blocked = block(loop(0));
        Duration threshold = Duration.ofMillis(300);
        await().atMost(WAIT).until(() -> EventLoopLiveness.report(heartbeat.lags(), threshold).getStatus()
                == HealthCheckResponse.Status.DOWN);
        HealthCheckResponse down = EventLoopLiveness.report(heartbeat.lags(), threshold);
        long blockedLag = (Long) down.getData().orElseThrow().get(blocked + ".lagMs");
        assertThat(blockedLag).isGreaterThanOrEqualTo(threshold.toMillis());
        List<EventLoopHeartbeat.Lag> others = heartbeat.lags().stream().filter(l -> !l.loop().equals(blocked)).toList();
        assertThat(others).singleElement().satisfies(l -> assertThat(l.lagNanos()).isLessThan(threshold.toNanos()));

        release.countDown();
        await().atMost(WAIT).until(() -> EventLoopLiveness.report(heartbeat.lags(), threshold).getStatus()
                == HealthCheckResponse.Status.UP);
    }

    @Test
    void aShortStallBelowTheThresholdKeepsLivenessUp() {
        Duration threshold = Duration.ofSeconds(2);
        block(loop(1));
        await().atMost(WAIT).until(() -> heartbeat.maxLagNanos() > Duration.ofMillis(200).toNanos());
        assertThat(EventLoopLiveness.report(heartbeat.lags(), threshold).getStatus())
                .isEqualTo(HealthCheckResponse.Status.UP);
        release.countDown();
        await().atMost(WAIT).until(() -> heartbeat.maxLagNanos() < Duration.ofMillis(100).toNanos());
        assertThat(EventLoopLiveness.report(heartbeat.lags(), threshold).getStatus())
                .isEqualTo(HealthCheckResponse.Status.UP);
    }

    @Test
    void aBlockedLoopGetsOneOutstandingTaskNotOnePerBeat() {
        block(loop(0));
        await().atMost(WAIT).until(() -> heartbeat.maxLagNanos() > Duration.ofMillis(200).toNanos());
        assertThat(((SingleThreadEventExecutor) loop(0)).pendingTasks()).isLessThanOrEqualTo(1);
    }

    private EventExecutor loop(int index) {
        int i = 0;
        for (EventExecutor executor : vertx.nettyEventLoopGroup()) {
            if (i++ == index) {
                return executor;
            }
        }
        throw new IllegalArgumentException("no loop " + index);
    }

    /** Blocks a loop until {@link #release}; returns the loop's thread name once it is blocked. */
    private String block(EventExecutor loop) {
        CountDownLatch blocked = new CountDownLatch(1);
        String[] name = new String[1];
        loop.execute(() -> {
            name[0] = Thread.currentThread().getName();
            blocked.countDown();
            try {
                release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertThat(blocked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return name[0];
    }
}
