package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.fanout.FanoutShard;
import io.edgegw.observe.GatewayMetrics;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.TcpProxy;
import io.edgegw.testkit.TestClient;
import io.edgegw.upstream.UpstreamPool;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * A resumed link's state comes from its predecessor in two hops between event loops. A link lost in between must
 * keep that state for the next resume, as a held session does, and must not take the topics for itself: the next
 * browser gets one welcome with what was restored, and when it leaves, nothing keeps the topic subscribed upstream.
 * The predecessor's loop is held up by a task of the test's own, so that the loss falls between the hops.
 *
 * <p>Likewise a browser that comes back as its session's resume window closes: the session lives on, and the cluster
 * is never told it ended.
 */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
@TestProfile(ResumeHandOverRaceTest.ShortResumeWindow.class)
class ResumeHandOverRaceTest {

    public static class ShortResumeWindow implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.session.resume-ttl", RESUME_TTL.toMillis() + "ms");
        }
    }

    static final Duration RESUME_TTL = Duration.ofSeconds(5);

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int ATTEMPTS = 6;

    @Inject
    SessionRegistry registry;

    @Inject
    Vertx vertx;

    @Inject
    UpstreamPool pool;

    /** Read in the JVM: a scrape may be served by the very loop the test holds up. */
    @Inject
    GatewayMetrics metrics;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : closing) {
            resource.close();
        }
    }

    @Test
    void aResumedLinkLostBeforeItsPredecessorsStateArrivesKeepsItForTheNextResume() throws Exception {
        untilRaced(attempt -> raceOnce("race/t" + System.nanoTime(), attempt)); // a topic of its own, also when repeated
    }

    /** False when the resumed link opened on the predecessor's loop (held up too), where there is no race. */
    private boolean raceOnce(String topic, int attempt) throws Exception {
        TestClient first = opened(TestClient.connect(GatewayUrls.ws()), topic);
        String session = first.frames("welcome").get(0).getString("session");
        String resume = first.frames("welcome").get(0).getString("resume");
        await().atMost(WAIT).until(() -> nodeFrames("sub", topic) == 1);
        ClientSession predecessor = session(session).orElseThrow();

        LoopHold hold = LoopHold.of(predecessor.shard());

        TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort());
        closing.add(proxy);
        int sessionsBefore = metrics.sessions().get();
        TestClient lost = connectAside(attempt, () -> TestClient.connectThrough(proxy, GatewayUrls.ws() + "?resume=" + resume),
                hold, () -> session(session).filter(s -> s != predecessor).isPresent());
        if (lost == null) {
            return false;
        }
        lost.drop(); // lost before the predecessor's state came: it waits behind the test's task
        await().atMost(WAIT).until(() -> metrics.sessions().get() <= sessionsBefore);
        hold.release();
        assertThat(first.awaitClose(WAIT)).as("the predecessor, replaced").isEqualTo(4001);

        TestClient next = TestClient.connect(GatewayUrls.ws() + "?resume=" + resume);
        closing.add(next);
        JsonObject again = next.welcome();
        assertThat(again.getString("session")).isEqualTo(session);
        assertThat(again.getJsonObject("restored").getJsonArray("subscriptions").getList()).containsExactly(topic);
        next.sendJson(new JsonObject().put("type", "ping"));
        next.await("pong", WAIT);
        assertThat(next.frames("welcome")).as("welcomes").hasSize(1);

        next.close(); // with 1000: the session ends, and the topic has no subscriber left
        await().atMost(WAIT).until(() -> nodeFrames("unsub", topic) == 1);
        hold.assertReleasedByTheTest();
        return true;
    }

    @Test
    void aResumeAsTheWindowClosesKeepsTheSessionAndTheClusterNeverHearsItEnded() throws Exception {
        untilRaced(attempt -> expireAsResumed("expiry/t" + System.nanoTime(), attempt));
    }

    /**
     * The resume window's end is queued on the held session's loop, then the loop is held up until the browser has
     * resumed on another loop: the end comes after the successor took the session's place, before the hand-over.
     * False when the successor opened on the held loop too.
     */
    private boolean expireAsResumed(String topic, int attempt) throws Exception {
        TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort());
        closing.add(proxy);
        TestClient first = opened(TestClient.connectThrough(proxy, GatewayUrls.ws()), topic);
        String session = first.frames("welcome").get(0).getString("session");
        String resume = first.frames("welcome").get(0).getString("resume");
        ClientSession held = session(session).orElseThrow();
        int live = metrics.sessions().get();

        first.drop();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> metrics.sessions().get() < live);
        // the window closes at most a few ms before this; the two timers below bracket that moment, and the first
        // keeps the loop busy past both, so that Netty runs the window's end, then the second, in deadline order
        long windowEnds = System.nanoTime() + RESUME_TTL.toNanos();
        LoopHold hold = new LoopHold();
        held.shard().context().runOnContext(ignored -> {
            vertx.setTimer(millisUntil(windowEnds) - 1000, busy -> sleep(1500));
            vertx.setTimer(millisUntil(windowEnds) + 300, holding -> hold.run());
        });
        hold.awaitHeld();
        if (session(session).filter(s -> s == held).isEmpty()) { // the window closed before the loop was held
            hold.release();
            return false;
        }

        long opensBefore = nodeFramesOfSession("open", session);
        TestClient back = connectAside(attempt, () -> TestClient.connect(GatewayUrls.ws() + "?resume=" + resume), hold,
                () -> nodeFramesOfSession("open", session) > opensBefore);
        if (back == null) {
            return false;
        }
        hold.release();

        JsonObject again = back.welcome();
        assertThat(again.getString("session")).isEqualTo(session);
        assertThat(again.getJsonObject("restored").getJsonArray("subscriptions").getList()).containsExactly(topic);
        back.sendJson(new JsonObject().put("type", "send").put("id", "s1").put("event", "e").put("data", 1));
        assertThat(back.awaitReply("s1", WAIT).getString("type")).as("a send of the resumed session").isEqualTo("ack");
        assertThat(nodeFramesOfSession("close", session)).as("close frames for the session at the nodes").isZero();
        hold.assertReleasedByTheTest();
        return true;
    }

    @Test
    void aKickThatMeetsAResumeClosesTheResumedLink() throws Exception {
        untilRaced(attempt -> kickAsResumed(attempt));
    }

    /**
     * The cluster's kick reaches the live session just before a resume takes its place: queued on the session's loop
     * (held up by the test) ahead of the hand-over, it must end up closing the resumed link. False when the resumed
     * link opened on the held loop too.
     */
    private boolean kickAsResumed(int attempt) throws Exception {
        TestClient first = opened(TestClient.connect(GatewayUrls.ws()), null);
        String session = first.frames("welcome").get(0).getString("session");
        String resume = first.frames("welcome").get(0).getString("resume");
        ClientSession live = session(session).orElseThrow();

        LoopHold hold = LoopHold.of(live.shard());
        registry.kick(session, 4005, "revoked"); // as a node's kick is routed: to the session registered now

        TestClient back = connectAside(attempt, () -> TestClient.connect(GatewayUrls.ws() + "?resume=" + resume), hold,
                () -> session(session).filter(s -> s != live).isPresent());
        if (back == null) {
            return false;
        }
        hold.release();

        assertThat(first.awaitClose(WAIT)).isEqualTo(4005);
        assertThat(back.awaitClose(WAIT)).as("the resumed link, kicked too").isEqualTo(4005);
        assertThat(back.closeReason()).isEqualTo("revoked");
        hold.assertReleasedByTheTest();
        return true;
    }

    @Test
    void aSecondResumeBeforeTheFirstHasItsStateGetsThatState() throws Exception {
        untilRaced(attempt -> resumeTwice("twice/t" + System.nanoTime(), (attempt + 1) % 2));
    }

    /**
     * The browser resumes twice while the first session's loop is held up: the second resume asks the first resumed
     * session for its state before that session has it, and must get it once it comes. False when either resumed
     * link opened on the held loop. Links go to the loops in turn: {@code spacers} other links opened between the two
     * resumes move the second to another loop than the next in turn.
     */
    private boolean resumeTwice(String topic, int spacers) throws Exception {
        TestClient first = opened(TestClient.connect(GatewayUrls.ws()), topic);
        String session = first.frames("welcome").get(0).getString("session");
        String resume = first.frames("welcome").get(0).getString("resume");
        ClientSession original = session(session).orElseThrow();

        LoopHold hold = LoopHold.of(original.shard());

        List<CompletableFuture<TestClient>> resumes = new ArrayList<>();
        ClientSession previous = original;
        for (int i = 0; i < 2; i++) {
            ClientSession replaced = previous;
            for (int spacer = 0; i == 1 && spacer < spacers; spacer++) {
                // a bare TCP link, accepted (and given its loop) before the next one starts; it never upgrades
                closing.add(new Socket("127.0.0.1", GatewayUrls.httpPort()));
            }
            resumes.add(CompletableFuture.supplyAsync(() -> TestClient.connect(GatewayUrls.ws() + "?resume=" + resume)));
            try {
                await().atMost(Duration.ofSeconds(2))
                        .until(() -> session(session).filter(s -> s != replaced && s != original).isPresent());
            } catch (org.awaitility.core.ConditionTimeoutException heldUpToo) {
                hold.release();
                for (CompletableFuture<TestClient> pending : resumes) {
                    closing.add(pending.get(WAIT.toSeconds(), TimeUnit.SECONDS));
                }
                return false;
            }
            previous = session(session).orElseThrow();
        }
        hold.release();
        TestClient second = resumes.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        TestClient third = resumes.get(1).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        closing.add(second);
        closing.add(third);

        JsonObject again = third.welcome();
        assertThat(again.getString("session")).isEqualTo(session);
        assertThat(again.getJsonObject("restored").getJsonArray("subscriptions").getList()).containsExactly(topic);
        assertThat(second.awaitClose(WAIT)).as("the first resumed link, replaced before its welcome").isEqualTo(4001);
        assertThat(second.frames("welcome")).isEmpty();
        assertThat(first.awaitClose(WAIT)).isEqualTo(4001);
        third.sendJson(new JsonObject().put("type", "ping"));
        third.await("pong", WAIT);
        assertThat(third.frames("welcome")).as("welcomes").hasSize(1);
        hold.assertReleasedByTheTest();
        return true;
    }

    @Test
    void anAckAndADirectThatMeetAResumeReachTheResumedBrowser() throws Exception {
        untilRaced(attempt -> answersAsResumed("held-ack-" + System.nanoTime(), attempt));
    }

    /**
     * A send's ack that reaches the resumed session before its state (which holds the send) must wait for that
     * state; a direct routed to the predecessor just before the successor took its place (queued on the
     * predecessor's loop behind the hand-over) must go on to the successor. Both are routed by the test as the
     * upstream loop routes a node's answers (that loop may be the one held); the node itself holds its answer to the
     * send until the test ends, so the send stays in flight. False when the resumed link opened on the held loop too.
     */
    private boolean answersAsResumed(String event, int attempt) throws Exception {
        TestClient first = opened(TestClient.connect(GatewayUrls.ws()), null);
        String session = first.frames("welcome").get(0).getString("session");
        String resume = first.frames("welcome").get(0).getString("resume");
        ClientSession predecessor = session(session).orElseThrow();

        CountDownLatch atNode = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        ReferenceClusterResource.cluster().nodes().forEach(node -> node.onSend(send -> {
            if (event.equals(send.getString("event"))) { // holds a loop of the node's own Vert.x, not the gateway's
                atNode.countDown();
                awaitQuietly(answer);
            }
            return null;
        }));
        closing.add(() -> {
            answer.countDown();
            ReferenceClusterResource.cluster().nodes().forEach(node -> node.onSend(null));
        });
        first.sendJson(new JsonObject().put("type", "send").put("id", "s1").put("event", event).put("data", 1));
        assertThat(atNode.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the send at a node").isTrue();

        LoopHold hold = LoopHold.of(predecessor.shard());
        TestClient back = connectAside(attempt, () -> TestClient.connect(GatewayUrls.ws() + "?resume=" + resume), hold,
                () -> session(session).filter(s -> s != predecessor).isPresent());
        if (back == null) {
            answer.countDown();
            return false;
        }
        ClientSession successor = session(session).orElseThrow();
        drained(successor.shard()); // its open is done: the hand-over is queued on the held loop
        predecessor.shard().enqueue((Runnable) () -> predecessor.direct("late", "{\"n\":1}"));

        registry.sendOutcome(session, "s1", null, null); // to the successor, registered now, which awaits its state
        drained(successor.shard());
        hold.release();

        JsonObject again = back.welcome();
        assertThat(again.getString("session")).isEqualTo(session);
        assertThat(back.awaitReply("s1", WAIT).getString("type")).as("the send's outcome").isEqualTo("ack");
        JsonObject direct = back.await("direct", WAIT);
        assertThat(direct.getString("event")).isEqualTo("late");
        assertThat(first.awaitClose(WAIT)).isEqualTo(4001);
        hold.assertReleasedByTheTest();
        return true;
    }

    /** Returns once every task queued on {@code shard}'s loop before this call has run. */
    private static void drained(FanoutShard shard) throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        shard.enqueue((Runnable) ran::countDown);
        assertThat(ran.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the loop's queue drained").isTrue();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void theEndOfAnOlderLinkThatReachesTheClusterAfterANewerLinksOpenIsDropped() {
        // the order two loops can leave them in when a resume window closes as the browser comes back: the held
        // session (link 1) left the registry, the browser's new link (link 2) took the id, and their open and close
        // reach the upstream loop open first
        String session = "s-order-" + System.nanoTime();
        pool.sessionOpened(session, null, 2);
        pool.sessionClosed(session, 1001, 1);
        pool.sessionClosed(session, 1000, 2); // the newer link ends: the one close the cluster must see
        await().atMost(WAIT).until(() -> nodeFramesOfSession("close", session) > 0);
        List<JsonObject> closes = ReferenceClusterResource.cluster().nodes().stream()
                .flatMap(node -> node.received("close").stream())
                .filter(frame -> session.equals(frame.getString("session"))).toList();
        assertThat(closes).extracting(close -> close.getInteger("code")).containsExactly(1000);
    }

    private static long millisUntil(long nanoTime) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanoTime - System.nanoTime()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // on purpose, on the event loop: see expireAsResumed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Connects while {@code hold} holds a loop, and returns the client once {@code opened} says the gateway opened it
     * (its upgrade may wait for the held loop). Null, with the hold released, when it did not open within 2 s: the
     * link went to the held loop.
     */
    private TestClient connectAside(int attempt, Supplier<TestClient> connect, LoopHold hold, Callable<Boolean> opened)
            throws Exception {
        if (attempt % 2 == 1) {
            // links go to the loops in turn, so a stray link earlier can put every attempt's link on the held loop:
            // every other attempt, a bare TCP link (accepted, and given its loop, before the next starts) shifts that
            closing.add(new Socket("127.0.0.1", GatewayUrls.httpPort()));
        }
        CompletableFuture<TestClient> connecting = CompletableFuture.supplyAsync(connect);
        try {
            await().atMost(Duration.ofSeconds(2)).until(opened);
        } catch (org.awaitility.core.ConditionTimeoutException heldUpToo) {
            hold.release();
            closing.add(connecting.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            return null;
        }
        TestClient client = connecting.get(WAIT.toSeconds(), TimeUnit.SECONDS); // its upgrade is done on its own loop
        closing.add(client);
        return client;
    }

    /** One attempt at a race: false when the links did not land where the race needs them. */
    private interface Race {
        boolean tried(int attempt) throws Exception;
    }

    private static void untilRaced(Race race) throws Exception {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (race.tried(attempt)) {
                return;
            }
        }
        fail("the resumed links never opened on other event loops than their predecessor's in " + ATTEMPTS + " tries");
    }

    /**
     * A task of the test's own that holds an event loop until the test lets it go (or until {@link #WAIT} passes,
     * which fails the test: the loop went on by itself, and the race may not have happened).
     */
    private static final class LoopHold implements Runnable {
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final AtomicBoolean timedOut = new AtomicBoolean();

        /** Holds the loop of {@code shard} from its next drain on; returns once it is held. */
        static LoopHold of(FanoutShard shard) throws InterruptedException {
            LoopHold hold = new LoopHold();
            shard.enqueue(hold);
            hold.awaitHeld();
            return hold;
        }

        @Override
        public void run() {
            held.countDown();
            try {
                timedOut.set(!release.await(WAIT.toSeconds(), TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitHeld() throws InterruptedException {
            assertThat(held.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the loop held").isTrue();
        }

        void release() {
            release.countDown();
        }

        void assertReleasedByTheTest() {
            assertThat(timedOut).as("the loop was held until the test let it go").isFalse();
        }
    }

    private static long nodeFramesOfSession(String type, String session) {
        return ReferenceClusterResource.cluster().nodes().stream().flatMap(node -> node.received(type).stream())
                .filter(frame -> session.equals(frame.getString("session"))).count();
    }

    /** A browser that took its welcome and, unless {@code topic} is null, subscribed to it. */
    private TestClient opened(TestClient first, String topic) {
        closing.add(first);
        first.welcome();
        if (topic != null) {
            first.sendJson(new JsonObject().put("type", "subscribe").put("id", "1").put("topics", List.of(topic)));
            first.awaitReply("1", WAIT);
        }
        return first;
    }

    private Optional<ClientSession> session(String id) {
        return registry.all().stream().filter(s -> s.id().equals(id)).findFirst();
    }

    private static long nodeFrames(String type, String topic) {
        return ReferenceClusterResource.cluster().nodes().stream().flatMap(node -> node.received(type).stream())
                .filter(frame -> topic.equals(frame.getString("topic"))).count();
    }
}
