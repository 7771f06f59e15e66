package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.fanout.PatternSet;
import io.edgegw.observe.GatewayMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/**
 * {@code gateway_topics} counts topics with local subscribers, not those waiting out their unsub grace; a message
 * that arrives after its topic was left (sent before the node had the unsub) leaves no cursor behind.
 */
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
    void aMessageThatArrivesAfterItsTopicWasLeftLeavesNoCursorForTheNextSubscription() {
        RecordingSink sink = new RecordingSink();
        UpstreamTopics noGrace = new UpstreamTopics(sink, null, metrics, vertx,
                new UpstreamTopics.Settings(0, 10, 60_000, 5_000), List::of, PatternSet.EMPTY);
        noGrace.demand("late/t", +1);
        noGrace.subscribed(null, "late/t", "e1", 4, true);
        noGrace.message(null, "late/t", "e1", 5, "m5", 0);
        noGrace.demand("late/t", -1); // left: its cursor goes
        noGrace.message(null, "late/t", "e1", 6, "m6", 0); // in flight when the node had the unsub
        assertThat(sink.seen).containsExactly(5L);

        noGrace.demand("late/t", +1); // a new subscriber: its sub starts at the head, 9
        noGrace.subscribed(null, "late/t", "e1", 9, true);
        noGrace.message(null, "late/t", "e1", 10, "m10", 0);
        assertThat(sink.seen).as("no gap for 7..9, which nobody here was subscribed for").containsExactly(5L, 10L);
    }

    @Test
    void aPatternsTopicsKeepTheirCursorsWhileAnotherSubscriptionCoversThem() {
        RecordingSink sink = new RecordingSink();
        UpstreamTopics noGrace = new UpstreamTopics(sink, null, metrics, vertx,
                new UpstreamTopics.Settings(0, 10, 60_000, 5_000), List::of, PatternSet.EMPTY);
        noGrace.demand("p/*", +1);
        noGrace.demand("p/**", +1);
        noGrace.message(null, "p/a", "e1", 1, "m1", 0);
        noGrace.demand("p/*", -1); // p/** still covers p/a
        noGrace.message(null, "p/a", "e1", 3, "m3", 0);
        assertThat(sink.seen).as("the skipped offset 2 is still noticed").hasSize(3).startsWith(1L).endsWith(3L);
        assertThat(sink.seen.get(1)).asString().contains("\"from\":2").contains("\"to\":2");
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

    @Test
    void aRecoveryAskedWhileNoConnectionIsUpWaitsForOneRatherThanAnsweringWithAGap() {
        List<String> answers = new java.util.ArrayList<>();
        UpstreamTopics none = new UpstreamTopics(new RecordingSink(),
                (session, topic, request, messages, gap) -> answers.add(session + (gap == null ? "" : " gap")),
                metrics, vertx, new UpstreamTopics.Settings(0, 10, 60_000, 5_000), List::of, PatternSet.EMPTY);
        none.demand("w/t", +1);
        none.subscribed(null, "w/t", "e1", 10, true); // the head, from before the connection went
        none.recover("s-1", 1, "w/t", "e1", 3); // 4..10: the node has them; the topic's sub moves once one is up
        assertThat(answers).isEmpty();
        assertThat(none.waitingRequests()).isEqualTo(1);
        none.sessionEnded("s-1"); // nobody would take the answer
        assertThat(none.waitingRequests()).isZero();
    }
}
