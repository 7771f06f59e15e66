package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.fanout.PatternSet;
import io.edgegw.observe.GatewayMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/** {@code gateway_topics} counts topics with local subscribers, not those waiting out their unsub grace. */
class UpstreamTopicsTest {

    private final Vertx vertx = Vertx.vertx();
    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
    // no connection up: demand changes touch no node; a grace far longer than the test
    private final UpstreamTopics topics = new UpstreamTopics(null, null, metrics, vertx,
            new UpstreamTopics.Settings(60_000, 10, 60_000, 5_000), List::of, PatternSet.EMPTY);

    @AfterEach
    void close() {
        vertx.close();
    }

    @Test
    void aTopicWithoutLocalSubscribersIsNotCountedDuringItsGrace() {
        topics.demand("a", +1);
        topics.demand("b", +1);
        topics.demand("b", +1);
        assertThat(metrics.topics().get()).isEqualTo(2);

        topics.demand("b", -1);
        assertThat(metrics.topics().get()).as("b has a subscriber left").isEqualTo(2);
        topics.demand("b", -1);
        assertThat(metrics.topics().get()).as("b waits out its grace").isEqualTo(1);
        assertThat(topics.count()).as("b is still held, subscribed upstream").isEqualTo(2);

        topics.demand("b", +1);
        assertThat(metrics.topics().get()).as("b came back within its grace").isEqualTo(2);
        topics.demand("a", -1);
        topics.demand("b", -1);
        assertThat(metrics.topics().get()).isZero();
    }
}
