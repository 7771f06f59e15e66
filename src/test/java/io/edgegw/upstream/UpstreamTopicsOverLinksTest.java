package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgegw.fanout.PatternSet;
import io.edgegw.observe.GatewayMetrics;
import io.edgegw.testkit.Futures;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * {@link UpstreamTopics} over two real connections to a scripted node, which records the subs: the test plays the
 * node's answers and messages, choosing the connection each comes on, in the orders the network can produce.
 * Everything runs on the connections' context, as in the gateway.
 */
class UpstreamTopicsOverLinksTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Vertx vertx;
    private Context context;
    private ScriptedNode node;
    private final List<UpstreamConnection> links = new ArrayList<>();
    private final RecordingSink sink = new RecordingSink();
    private final List<String> recovered = new CopyOnWriteArrayList<>();
    private UpstreamTopics topics;

    @BeforeEach
    void twoLinks() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        node = ScriptedNode.start(vertx, "127.0.0.1", 0, null);
        NodeRing ring = new NodeRing(List.of("ws://127.0.0.1:" + node.port() + "/upstream"));
        Futures.await(ring.refresh(vertx), WAIT, "ring");
        on(() -> {
            UpstreamClients clients = UpstreamClients.create(vertx, java.util.Optional.empty(), false, ring);
            UpstreamConnection.Settings settings = new UpstreamConnection.Settings(ring,
                    new BackoffPolicy(Duration.ofMillis(40), Duration.ofSeconds(1), 2.0, BackoffPolicy.Jitter.FULL),
                    1_000, 10, 2_000, 1_000, 2_000, System::currentTimeMillis, () -> 0.5, 0, (self, n) -> false);
            for (int i = 0; i < 2; i++) {
                UpstreamConnection link = new UpstreamConnection(i, "test/" + i, settings, context, vertx,
                        clients.probes(), clients.sockets(), new UpstreamConnectionTest.Recorder(),
                        "{\"type\":\"hello\",\"protocol\":1,\"gateway\":\"test\",\"connection\":\"test/" + i + "\"}");
                links.add(link);
                link.start();
            }
            topics = topics(new UpstreamTopics.Settings(0, 2, 60_000, 5_000));
            return null;
        });
        await().atMost(WAIT).until(() -> on(() -> links.stream().allMatch(UpstreamConnection::isConnected)));
    }

    @AfterEach
    void close() throws Exception {
        on(() -> {
            links.forEach(UpstreamConnection::shutdown);
            return null;
        });
        node.close();
        Futures.await(vertx.close(), WAIT, "vertx close");
    }

    /** Topics over the two links, a history of 2 messages, recording what browsers are answered. */
    private UpstreamTopics topics(UpstreamTopics.Settings settings) {
        return new UpstreamTopics(sink, (session, topic, request, messages, gap) -> recovered.add(
                messages.stream().map(m -> String.valueOf(m.offset())).toList() + (gap == null ? "" : " gap")),
                new GatewayMetrics(new SimpleMeterRegistry()), vertx, settings, () -> List.copyOf(links),
                PatternSet.EMPTY);
    }

    private <T> T on(Callable<T> action) {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> {
            try {
                done.complete(action.call());
            } catch (Exception | AssertionError e) { // an assertion on the context fails the test at once
                done.fail(e);
            }
        });
        return Futures.await(done.future(), WAIT, "a task on the upstream context");
    }

    private UpstreamConnection ownerOf(String topic) {
        return on(() -> Placement.choose(topic, List.copyOf(links)));
    }

    private UpstreamConnection otherThan(UpstreamConnection link) {
        return links.get(0) == link ? links.get(1) : links.get(0);
    }

    @Test
    void aPatternsCopyThatRunsAheadOfTheTopicsOwnSubIsNotAGap() {
        String topic = "t/x";
        UpstreamConnection own = ownerOf(topic);
        UpstreamConnection other = otherThan(own);
        on(() -> {
            topics.demand(topic, +1);
            topics.demand("t/*", +1);
            topics.subscribed(own, topic, "e", 4, true);
            topics.message(own, topic, "e", 5, "m", 0);
            topics.message(other, topic, "e", 5, "m", 0); // the pattern's copy: a repeat
            topics.message(other, topic, "e", 8, "m", 0); // the pattern's link is ahead: 6 and 7 are on their way
            topics.message(own, topic, "e", 6, "m", 0);
            topics.message(own, topic, "e", 7, "m", 0);
            topics.message(own, topic, "e", 8, "m", 0);
            topics.message(other, topic, "e", 9, "m", 0); // in order again: taken from whichever link is first
            topics.message(own, topic, "e", 9, "m", 0);
            return null;
        });
        assertThat(sink.seen).containsExactly(5L, 6L, 7L, 8L, 9L);
    }

    @Test
    void aLateAnswerToAWithdrawnSubIsNotTakenForTheAnswerToTheNextOne() {
        String topic = "late/x";
        UpstreamConnection own = ownerOf(topic);
        on(() -> {
            topics.demand(topic, +1); // sub
            topics.demand(topic, -1); // unsub (no grace here) before the node answered
            topics.demand(topic, +1); // sub again, from the head
            return null;
        });
        await().atMost(WAIT).until(() -> node.received.stream().filter(line -> line.contains("\"late/x\"")).count() == 3);
        on(() -> {
            topics.subscribed(own, topic, "e", 4, true); // the answer to the first sub: its head is stale
            topics.subscribed(own, topic, "e", 8, true); // the answer to the last one
            topics.message(own, topic, "e", 9, "m", 0);
            return null;
        });
        assertThat(sink.seen).as("no gap for 5..8, which nobody here was subscribed for").containsExactly(9L);
    }

    @Test
    void aLateAnswerToASubWithdrawnByAGlobalIgnoreLeavesNoCursorToReplayFromAfterTheUnignore() {
        String topic = "late/y";
        UpstreamConnection own = ownerOf(topic);
        on(() -> {
            topics.demand(topic, +1);
            topics.ignoreChanged(PatternSet.of(List.of(topic))); // unsub before the node answered
            return null;
        });
        await().atMost(WAIT).until(() -> node.received.contains("{\"type\":\"unsub\",\"topic\":\"late/y\"}"));
        on(() -> {
            topics.subscribed(own, topic, "e", 4, true); // the late answer
            topics.ignoreChanged(PatternSet.EMPTY);
            return null;
        });
        await().atMost(WAIT).until(() -> node.received.stream().filter(line -> line.contains("\"late/y\"")).count() == 3);
        assertThat(node.received).as("subscribed afresh: nothing ignored is replayed")
                .doesNotContain("{\"type\":\"sub\",\"topic\":\"late/y\",\"since\":{\"epoch\":\"e\",\"offset\":4}}");
    }

    @Test
    void whatComesBeforeTheAnswerToASubWithoutSinceIsFromAnEarlierSubscription() {
        String topic = "u/x";
        UpstreamConnection own = ownerOf(topic);
        on(() -> {
            topics.demand(topic, +1);
            return null;
        });
        await().atMost(WAIT).until(() -> node.received.contains("{\"type\":\"sub\",\"topic\":\"u/x\"}"));
        on(() -> {
            topics.message(own, topic, "e", 3, "m", 0); // sent before the node had an earlier unsub
            topics.subscribed(own, topic, "e", 9, true);
            topics.message(own, topic, "e", 10, "m", 0);
            return null;
        });
        assertThat(sink.seen).as("no gap for 4..9, which nobody here asked for").containsExactly(10L);
    }

    @Test
    void aNodeReplayForABrowserIsCompleteOnlyWithEveryOffsetUpToTheHead() {
        String topic = "r/x";
        UpstreamConnection own = ownerOf(topic);
        UpstreamConnection other = otherThan(own);
        on(() -> {
            topics.demand("r/*", +1);
            fiveMessagesBeyondTheHistory(topic, own);
            topics.recover("s-1", 1, topic, "e", 1); // wants 2..5: more than the history holds, asked of the node
            return null;
        });
        await().atMost(WAIT).until(() -> node.received.stream().anyMatch(line -> line.contains("\"since\"")));
        on(() -> {
            topics.subscribed(own, topic, "e", 5, true); // the replay of 2..5 follows on the topic's link
            topics.message(other, topic, "e", 6, "m", 0); // a live copy through the pattern's link comes first
            assertThat(recovered).as("not complete before the replay came").isEmpty();
            for (long offset = 2; offset <= 5; offset++) {
                topics.message(own, topic, "e", offset, "m", 0);
            }
            return null;
        });
        assertThat(recovered).containsExactly("[2, 3, 4, 5]");
    }

    @Test
    void aReplayCutShortByItsLinkIsAskedAgainAfterTheMoveNotAnsweredWithAGap() {
        String topic = "r/y";
        UpstreamConnection own = ownerOf(topic);
        replayAskedFromOne(topic, own);
        on(() -> {
            topics.subscribed(own, topic, "e", 5, true); // answered: the replay of 2..5 is on its way, then the link dies
            topics.message(own, topic, "e", 2, "m", 0);
            topics.disconnected(own);
            return null;
        });
        assertThat(recovered).as("the node still has 2..5: no gap").isEmpty();
        // the topic's own sub moves (from the gateway's cursor, 5); once it is answered the browser's is asked again
        await().atMost(WAIT).until(() -> sinceLines(topic, 5) == 1);
        on(() -> {
            // the test's links are both still up: the moved sub went to the same link
            topics.subscribed(own, topic, "e", 5, true);
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 2);
        nodeReplaysTwoToFive(topic, own);
        assertThat(recovered).containsExactly("[2, 3, 4, 5]");
    }

    @Test
    void aSessionAskingAgainReplacesItsWaitingQuestionAndOthersJoinAReplayNotYetAnswered() {
        String topic = "r/z";
        UpstreamConnection own = ownerOf(topic);
        on(() -> {
            fiveMessagesBeyondTheHistory(topic, own);
            topics.recover("s-1", 1, topic, "e", 1);
            topics.recover("s-2", 2, topic, "e", 2); // beyond the history too; the node has not answered: joins
            topics.recover("s-4", 3, topic, "e", 3); // 4..5: from the history, at once
            for (int request = 4; request < 1_004; request++) { // one browser repeating itself
                topics.recover("s-3", request, topic, "e", 0); // older than the replay: waits for it, once
            }
            assertThat(topics.waitingRequests()).isEqualTo(1);
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 1);
        nodeReplaysTwoToFive(topic, own);
        // one answer per session (s-2 takes the same replay and cuts what it had); s-3's one question goes next
        assertThat(recovered).containsExactly("[4, 5]", "[2, 3, 4, 5]", "[2, 3, 4, 5]");
        await().atMost(WAIT).until(() -> sinceLines(topic, 0) == 1);
        assertThat(on(topics::waitingRequests)).isZero();
    }

    /** s-1 asks from offset 1, beyond the history: a replay of 2..5 is asked of the node, which has not answered. */
    private void replayAskedFromOne(String topic, UpstreamConnection own) {
        on(() -> {
            fiveMessagesBeyondTheHistory(topic, own);
            topics.recover("s-1", 1, topic, "e", 1);
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 1);
    }

    /** On the upstream context: the node answers the topic's replay at head 5 and replays 2..5 on {@code own}. */
    private void nodeReplaysTwoToFive(String topic, UpstreamConnection own) {
        on(() -> {
            topics.subscribed(own, topic, "e", 5, true);
            for (long offset = 2; offset <= 5; offset++) {
                topics.message(own, topic, "e", offset, "m", 0);
            }
            return null;
        });
    }

    /**
     * {@code lost} goes; the topic's own sub moves (with since 5, the gateway's cursor) and is answered, after which
     * the questions that waited for it are asked again.
     */
    private void subMovedAfterLosing(UpstreamConnection lost, String topic) {
        on(() -> {
            topics.disconnected(lost);
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 5) == 1);
        on(() -> {
            topics.subscribed(lost, topic, "e", 5, true); // both links are still up: the moved sub went to the same one
            return null;
        });
    }

    /**
     * On the upstream context: {@code topic} subscribed at head 0, then offsets 1..5 on {@code own}, of which the
     * gateway's history keeps the last 2, so a browser asking from 1 is answered by the node.
     */
    private void fiveMessagesBeyondTheHistory(String topic, UpstreamConnection own) {
        topics.demand(topic, +1);
        topics.subscribed(own, topic, "e", 0, true);
        for (long offset = 1; offset <= 5; offset++) {
            topics.message(own, topic, "e", offset, "m", 0);
        }
    }

    /** Subs the node got for {@code topic} with {@code since} at {@code offset}. */
    private long sinceLines(String topic, long offset) {
        return node.received.stream().filter(line -> line.contains("\"sub\"") && line.contains("\"" + topic + "\"")
                && line.contains("\"offset\":" + offset + "}")).count();
    }

    @Test
    void aReplayWhoseLinksKeepFailingEndsInAGapOnceTheRecoveryTimeLimitHasPassed() {
        String topic = "r/d";
        UpstreamConnection own = ownerOf(topic);
        AtomicLong now = new AtomicLong(1_000_000);
        on(() -> topics = topics(new UpstreamTopics.Settings(0, 2, 60_000, 5_000, now::get)));
        replayAskedFromOne(topic, own);
        now.addAndGet(5_000); // the browser asked 5 s ago: its live messages have waited long enough
        on(() -> {
            topics.disconnected(own);
            return null;
        });
        assertThat(recovered).containsExactly("[] gap");
    }

    @Test
    void whenAReplaysTimeRunsOutOnlyTheRequestsPastTheirOwnLimitGetAGapTheOthersAreAskedAgain() {
        String topic = "r/f";
        UpstreamConnection own = ownerOf(topic);
        AtomicLong now = new AtomicLong(1_000_000);
        on(() -> topics = topics(new UpstreamTopics.Settings(0, 2, 60_000, 2_000, now::get)));
        replayAskedFromOne(topic, own); // s-1, whose 2 s start now; the node never answers
        on(() -> {
            now.addAndGet(1_500);
            topics.recover("s-2", 2, topic, "e", 2); // joins the replay under way, with 2 s of its own
            now.addAndGet(500); // s-1's limit, reached before its timer fires on this context
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 2) == 1); // s-2 asked again, on its own
        assertThat(recovered).as("a gap for s-1 only").containsExactly("[] gap");
    }

    @Test
    void anExactTopicsCursorTakenOverFromAPatternOutlivesTheEvictionOfPatternCursors() {
        String topic = "c/x";
        UpstreamConnection own = ownerOf(topic);
        sink.onlyTopic = topic;
        on(() -> {
            topics.demand("c/*", +1);
            topics.message(own, topic, "e", 1, "m", 0); // a cursor of the bounded cache for topics seen via patterns
            topics.demand(topic, +1); // its own sub, from that cursor
            topics.subscribed(own, topic, "e", 1, true); // from now on the topic's own cursor
            for (int i = 0; i <= UpstreamTopics.MAX_CURSORS; i++) { // enough pattern topics to evict every cached one
                topics.message(own, "c/n" + i, "e", 1, "m", 0);
            }
            topics.message(own, topic, "e", 3, "m", 0);
            return null;
        });
        assertThat(sink.seen).as("2 is still noticed missing").hasSize(3).startsWith(1L).endsWith(3L);
        assertThat(sink.seen.get(1)).asString().contains("\"from\":2").contains("\"to\":2");
    }

    @Test
    void aRequestThatWaitsForAHeadTheGatewayLostIsAskedAtTheTopicsNextMessage() {
        String topic = "d/x";
        UpstreamConnection own = ownerOf(topic);
        sink.onlyTopic = topic;
        on(() -> {
            topics.demand("d/*", +1);
            for (long offset = 1; offset <= 5; offset++) { // a cursor of the bounded cache: seen through the pattern
                topics.message(own, topic, "e", offset, "m", 0);
            }
            topics.demand(topic, +1); // its own sub, not answered yet
            for (int i = 0; i <= UpstreamTopics.MAX_CURSORS; i++) { // evicts the topic's cursor
                topics.message(own, "d/n" + i, "e", 1, "m", 0);
            }
            topics.recover("s-1", 1, topic, "e", 2); // the head is not known now: waits
            return null;
        });
        assertThat(recovered).isEmpty();
        on(() -> {
            topics.message(own, topic, "e", 6, "m", 0);
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 2) == 1); // the node is asked for 3..6
    }

    @Test
    void aRequestDoesNotJoinAReplayOnceAMessageCameAfterItWasAsked() {
        String topic = "r/j";
        UpstreamConnection own = ownerOf(topic);
        UpstreamConnection other = otherThan(own);
        on(() -> {
            topics.demand("r/*", +1);
            fiveMessagesBeyondTheHistory(topic, own);
            topics.recover("s-1", 1, topic, "e", 1); // the node's head will be 5
            topics.message(other, topic, "e", 6, "m", 0); // through the pattern, before the node answered
            topics.recover("s-2", 2, topic, "e", 3); // misses 4..6: the replay of 2..5 would not bring 6
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 1);
        nodeReplaysTwoToFive(topic, own);
        await().atMost(WAIT).until(() -> sinceLines(topic, 3) == 1); // s-2 asked on its own, after the first replay
        on(() -> {
            topics.subscribed(own, topic, "e", 6, true);
            for (long offset = 4; offset <= 6; offset++) {
                topics.message(own, topic, "e", offset, "m", 0);
            }
            return null;
        });
        assertThat(recovered).containsExactly("[2, 3, 4, 5]", "[4, 5, 6]");
    }

    @Test
    void aSessionsLatestQuestionIsTheOneAnsweredAfterItsReplayLostItsLink() {
        String topic = "r/l";
        UpstreamConnection own = ownerOf(topic);
        on(() -> {
            fiveMessagesBeyondTheHistory(topic, own);
            topics.recover("s-1", 1, topic, "e", 1);
            topics.recover("s-2", 10, topic, "e", 0); // before the replay's since: waits for it
            topics.recover("s-2", 11, topic, "e", 2); // asked again, within the replay: joins it, the first is gone
            assertThat(topics.waitingRequests()).isZero();
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 1);
        subMovedAfterLosing(own, topic);
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 2);
        nodeReplaysTwoToFive(topic, own);
        assertThat(recovered).containsExactly("[2, 3, 4, 5]", "[2, 3, 4, 5]");
        assertThat(sinceLines(topic, 0)).as("the question s-2 replaced is never asked of the node").isZero();
    }

    @Test
    void aReplayAskedAgainKeepsWhatIsLeftOfTheBrowsersTimeLimit() {
        String topic = "r/t";
        UpstreamConnection own = ownerOf(topic);
        AtomicLong now = new AtomicLong(1_000_000);
        on(() -> topics = topics(new UpstreamTopics.Settings(0, 2, 60_000, 5_000, now::get)));
        replayAskedFromOne(topic, own);
        now.addAndGet(4_999); // 1 ms of the browser's 5 s left when its replay loses its link
        on(() -> {
            topics.disconnected(own);
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 5) == 1);
        on(() -> {
            topics.subscribed(own, topic, "e", 5, true); // asked again: with 1 ms to go, not another 5 s
            now.incrementAndGet(); // that millisecond passes before its timer can fire on this context
            return null;
        });
        await().atMost(Duration.ofSeconds(2)).until(() -> recovered.contains("[] gap"));
    }

    @Test
    void aReplayForATopicThatLeftUpstreamEndsAtOnce() {
        String topic = "r/u";
        UpstreamConnection own = ownerOf(topic);
        replayAskedFromOne(topic, own);
        on(() -> {
            topics.demand(topic, -1); // its last subscriber left (no grace here): unsub
            assertThat(recovered).as("no replay any more: a gap up to the cursor").containsExactly("[] gap");
            topics.demand(topic, +1); // back: a new sub from the head, not paired with the old replay's answer
            topics.recover("s-2", 2, topic, "e", 4);
            return null;
        });
        assertThat(on(topics::waitingRequests)).as("waits for the new sub's head").isEqualTo(1);
    }

    @Test
    void aReplayEndedByTheGlobalIgnoreListEndsInAGapUpToWhatTheGatewayHad() {
        String topic = "r/g";
        UpstreamConnection own = ownerOf(topic);
        replayAskedFromOne(topic, own);
        on(() -> {
            topics.ignoreChanged(PatternSet.of(List.of(topic))); // ignored from now on: 2..5 came before
            return null;
        });
        assertThat(recovered).containsExactly("[] gap");
    }

    @Test
    void aQuestionThatWaitedPastItsTimeLimitIsAnsweredWithoutAskingTheNode() {
        String topic = "r/w";
        UpstreamConnection own = ownerOf(topic);
        AtomicLong now = new AtomicLong(1_000_000);
        on(() -> {
            topics = topics(new UpstreamTopics.Settings(0, 2, 60_000, 5_000, now::get));
            fiveMessagesBeyondTheHistory(topic, own);
            topics.recover("s-1", 1, topic, "e", 1);
            topics.recover("s-2", 2, topic, "e", 0); // before the replay's since: waits for it
            return null;
        });
        await().atMost(WAIT).until(() -> sinceLines(topic, 1) == 1);
        now.addAndGet(5_000); // the replay took the whole time limit: s-2's is over too
        nodeReplaysTwoToFive(topic, own);
        assertThat(recovered).containsExactly("[2, 3, 4, 5]", "[] gap");
        assertThat(sinceLines(topic, 0)).as("no replay whose answer is already decided").isZero();
    }
}
