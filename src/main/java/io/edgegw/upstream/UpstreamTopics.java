package io.edgegw.upstream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.edgegw.fanout.PatternSet;
import io.edgegw.fanout.Json;
import io.edgegw.fanout.TopicDelivery;
import io.edgegw.fanout.TopicHistory;
import io.edgegw.fanout.TopicPattern;
import io.edgegw.fanout.TopicSink;
import io.edgegw.observe.GatewayMetrics;
import io.vertx.core.Vertx;

/**
 * The upstream life of every subscribed topic and pattern: one {@code sub} per gateway, placed on one connection,
 * moved with {@code since} when it dies, {@code unsub} after a grace period once the last local subscriber left or
 * once the global ignore list covers it. Also the per-topic cursors (at most once, in order), the gateway's
 * history, and recovery for browsers that subscribe with {@code since}: from the history, else from the node, else
 * a {@code gap}. Confined to the upstream loop.
 */
final class UpstreamTopics {

    /** {@code clock}: wall-clock milliseconds, for the history's ages and the recovery time limit. */
    record Settings(long unsubGraceMs, int historySize, long historyMaxAgeMs, long recoveryTimeoutMs,
            LongSupplier clock) {
        Settings(long unsubGraceMs, int historySize, long historyMaxAgeMs, long recoveryTimeoutMs) {
            this(unsubGraceMs, historySize, historyMaxAgeMs, recoveryTimeoutMs, System::currentTimeMillis);
        }
    }

    /** Where recovered messages go: a session on its own loop. */
    interface RecoveryListener {
        void recovered(String session, String topic, long request, List<TopicDelivery> messages, TopicDelivery gap);
    }

    /**
     * What a {@code sub} waits for: NORMAL_SUB carried a since; SUB_FROM_HEAD none, so the node starts at the head
     * and whatever comes for the topic before its answer is from an earlier subscription.
     */
    private static final Object NORMAL_SUB = new Object();
    private static final Object SUB_FROM_HEAD = new Object();

    private static final class TopicEntry {
        final String topic;
        final TopicPattern pattern;
        final boolean exact;
        int demand;
        UpstreamConnection owner;
        boolean subscribedUpstream;
        boolean suppressed;
        long graceTimer = -1;
        TopicHistory history;
        /** What each `sub` written on the owner is waiting for, in order: NORMAL_SUB or a NodeRecovery. */
        final ArrayDeque<Object> unanswered = new ArrayDeque<>();

        TopicEntry(TopicPattern pattern) {
            this.topic = pattern.text();
            this.pattern = pattern;
            this.exact = pattern.isExact();
        }
    }

    /** {@code askedAtMs}: when the browser asked; a request asked again after a lost link keeps it (its deadline). */
    private record RecoveryRequest(String session, long request, String epoch, long offset, long askedAtMs) {
    }

    /**
     * A replay asked of a node for browsers: collects what comes after {@code since} up to the node's head, by
     * offset, and is complete once it holds every offset of that range (offsets increase by one per topic). A live
     * message past the head can come first, on the connection of a pattern that covers the topic: the replay is not
     * over then.
     */
    private static final class NodeRecovery {
        final String epoch;
        final long since;
        /** The gateway's cursor when it was asked: later requests join it only while the cursor is still there. */
        final long cursorAtStart;
        final List<RecoveryRequest> requests = new ArrayList<>();
        final TreeMap<Long, TopicDelivery> collected = new TreeMap<>();
        long head = -1;
        long timer = -1;

        NodeRecovery(String epoch, long since, long cursorAtStart) {
            this.epoch = epoch;
            this.since = since;
            this.cursorAtStart = cursorAtStart;
        }

        boolean isComplete() {
            return head >= 0 && collected.size() >= head - since;
        }
    }

    private final Map<String, TopicEntry> topics = new LinkedHashMap<>();
    /** The pattern entries of {@link #topics}: what may cover a topic besides its own exact entry. */
    private final List<TopicEntry> patterns = new ArrayList<>();
    /** Entries with local subscribers (the others wait out their unsub grace): {@code gateway_topics}. */
    private int withSubscribers;
    /** How many cursors of topics seen only through patterns are kept (see {@link TopicCursors}). */
    static final int MAX_CURSORS = 100_000;
    private final TopicCursors cursors = new TopicCursors(MAX_CURSORS);
    private final Map<String, NodeRecovery> recoveries = new HashMap<>();
    private final Map<String, List<RecoveryRequest>> waiting = new HashMap<>();
    /**
     * Per connection, per exact topic: answers still to come to subs withdrawn by an {@code unsub} before the node
     * answered them. A node answers a connection's subs in order, so these are the next answers for the topic there,
     * whatever was subscribed since.
     */
    private final Map<UpstreamConnection, Map<String, Integer>> withdrawnAnswers = new HashMap<>();
    private final TopicSink fanout;
    private final RecoveryListener listener;
    private final GatewayMetrics metrics;
    private final Vertx vertx;
    private final Settings settings;
    private final Supplier<List<UpstreamConnection>> up;
    private PatternSet globalIgnore;

    UpstreamTopics(TopicSink fanout, RecoveryListener listener, GatewayMetrics metrics, Vertx vertx, Settings settings,
            Supplier<List<UpstreamConnection>> up, PatternSet globalIgnore) {
        this.fanout = fanout;
        this.listener = listener;
        this.metrics = metrics;
        this.vertx = vertx;
        this.settings = settings;
        this.up = up;
        this.globalIgnore = globalIgnore;
    }

    int count() {
        return topics.size();
    }

    /** Messages held in every topic's history, for the metrics sampler on this loop. */
    int heldMessages() { return topics.values().stream().mapToInt(e -> e.history == null ? 0 : e.history.size()).sum(); }

    // ---- demand and the upstream subscription -------------------------------------------------------------

    void demand(String topic, int delta) {
        TopicEntry entry = topics.get(topic);
        if (entry == null) {
            if (delta <= 0) {
                return;
            }
            entry = new TopicEntry(TopicPattern.parse(topic));
            entry.suppressed = globalIgnore.coversAll(topic);
            topics.put(topic, entry);
            if (!entry.exact) {
                patterns.add(entry);
            }
        }
        int before = entry.demand;
        entry.demand = Math.max(0, entry.demand + delta);
        if ((before == 0) != (entry.demand == 0)) {
            withSubscribers += entry.demand > 0 ? 1 : -1;
            metrics.topics().set(withSubscribers);
        }
        if (entry.demand > 0 && entry.graceTimer >= 0) {
            vertx.cancelTimer(entry.graceTimer); // came back within the grace period: costs nothing upstream
            entry.graceTimer = -1;
        }
        if (delta > 0 && entry.exact) { // a loop's first subscriber: where it stands if no message precedes a resume
            notePosition(topic);
        }
        if (entry.demand == 0 && entry.graceTimer < 0 && settings.unsubGraceMs() > 0) {
            TopicEntry leaving = entry;
            entry.graceTimer = vertx.setTimer(settings.unsubGraceMs(), t -> {
                leaving.graceTimer = -1;
                sync(leaving);
            });
            return;
        }
        sync(entry);
    }

    void ignoreChanged(PatternSet list) {
        globalIgnore = list;
        for (TopicEntry entry : List.copyOf(topics.values())) {
            boolean suppressed = list.coversAll(entry.topic);
            if (suppressed != entry.suppressed) {
                entry.suppressed = suppressed;
                sync(entry);
            }
        }
    }

    private static boolean wanted(TopicEntry entry) {
        return !entry.suppressed && (entry.demand > 0 || entry.graceTimer >= 0);
    }

    /** Makes the upstream subscription match what the entry wants. */
    private void sync(TopicEntry entry) {
        boolean leftUpstream = false;
        if (wanted(entry) && !entry.subscribedUpstream) {
            if (entry.owner == null || !entry.owner.isConnected()) {
                entry.owner = Placement.choose(entry.topic, up.get());
            }
            if (entry.owner != null) {
                writeSub(entry);
            }
        } else if (!wanted(entry) && entry.subscribedUpstream) {
            if (entry.owner != null && entry.owner.isConnected()) {
                entry.owner.write("{\"type\":\"unsub\",\"topic\":" + Json.quote(entry.topic) + "}");
                if (entry.exact && !entry.unanswered.isEmpty()) {
                    withdrawnAnswers.computeIfAbsent(entry.owner, c -> new HashMap<>())
                            .merge(entry.topic, entry.unanswered.size(), Integer::sum);
                }
            }
            entry.subscribedUpstream = false;
            entry.owner = null;
            entry.unanswered.clear();
            entry.history = null;
            leftUpstream = true;
        }
        boolean removed = entry.demand == 0 && entry.graceTimer < 0;
        if (removed) {
            topics.remove(entry.topic);
            if (!entry.exact) {
                patterns.remove(entry);
            }
        }
        if (leftUpstream || removed) {
            endRecoveries(entry.topic); // unsubscribed or ignored: nothing of it can be replayed any more
            // nothing ignored or unsubscribed is replayed later; also when it never reached a node (none was up)
            forgetCursors(entry);
        }
    }

    private void writeSub(TopicEntry entry) {
        TopicCursors.Cursor cursor = cursors.get(entry.topic);
        String since = cursor == null ? ""
                : ",\"since\":{\"epoch\":" + Json.quote(cursor.epoch()) + ",\"offset\":" + cursor.offset() + "}";
        entry.owner.write("{\"type\":\"sub\",\"topic\":" + Json.quote(entry.topic) + since + "}");
        entry.subscribedUpstream = true;
        entry.unanswered.add(cursor == null ? SUB_FROM_HEAD : NORMAL_SUB);
    }

    /**
     * The cursors of what {@code leaving} covered that nothing still kept covers: a later {@code sub} starts afresh
     * (a kept cursor would ask the node for a replay of old messages, or tell a pattern's new subscribers of a gap
     * they never had), and the cursors of topics seen through a pattern do not pile up for ever.
     */
    private void forgetCursors(TopicEntry leaving) {
        if (leaving.exact) {
            if (!isCovered(leaving.topic)) {
                cursors.forget(leaving.topic);
            }
            return;
        }
        cursors.forgetIf(topic -> leaving.pattern.matches(topic) && !isCovered(topic));
    }

    /** Some entry still kept (wanted, or subscribed upstream) covers {@code topic}, exactly or by a pattern. */
    private boolean isCovered(String topic) {
        return exactlyKept(topic) != null || isCoveredByPattern(topic);
    }

    private boolean isCoveredByPattern(String topic) {
        for (int i = 0; i < patterns.size(); i++) {
            TopicEntry pattern = patterns.get(i);
            if (kept(pattern) && pattern.pattern.matches(topic)) {
                return true;
            }
        }
        return false;
    }

    /** The topic's own exact entry, when it is kept; else null. */
    private TopicEntry exactlyKept(String topic) {
        TopicEntry entry = topics.get(topic);
        return entry != null && entry.exact && kept(entry) ? entry : null;
    }

    private static boolean kept(TopicEntry entry) {
        return entry.subscribedUpstream || wanted(entry);
    }

    void connected() {
        for (TopicEntry entry : topics.values()) {
            if (wanted(entry) && !entry.subscribedUpstream) {
                sync(entry);
            }
        }
    }

    void disconnected(UpstreamConnection lost) {
        withdrawnAnswers.remove(lost); // they will never come
        for (TopicEntry entry : List.copyOf(topics.values())) {
            if (entry.owner != lost) {
                continue;
            }
            // a replay the lost link had not finished is asked again once the topic's sub has moved: the node still
            // has what the browsers missed, a gap now would tell them otherwise
            // (within the recovery time limit from the browser's question, so that links lost one after another, or a
            // replay that overloads each link it runs on, end in a gap instead of holding its live messages for ever)
            NodeRecovery running = recoveries.remove(entry.topic);
            entry.unanswered.clear();
            entry.subscribedUpstream = false;
            entry.owner = null;
            if (running != null) {
                vertx.cancelTimer(running.timer);
                List<RecoveryRequest> again = new ArrayList<>(running.requests);
                again.addAll(waiting.getOrDefault(entry.topic, List.of()));
                waiting.remove(entry.topic);
                // from the history, a gap once out of time, else waiting for the moved sub (no owner now)
                again.forEach(request -> recover(request, entry.topic));
            }
            sync(entry);
        }
    }

    // ---- from the node ------------------------------------------------------------------------------------

    /** A topic message that came on {@code from}. */
    void message(UpstreamConnection from, String topic, String epoch, long offset, Object payload,
            long receivedNanos) {
        TopicDelivery delivery = new TopicDelivery(topic, epoch, offset, payload, receivedNanos);
        NodeRecovery recovery = recoveries.get(topic);
        if (recovery != null && recovery.head >= 0 && epoch.equals(recovery.epoch) && offset > recovery.since
                && offset <= recovery.head) {
            recovery.collected.putIfAbsent(offset, delivery);
        }
        TopicEntry exact = exactlyKept(topic);
        TopicCursors.Cursor cursor = cursors.get(topic);
        if (exact != null && exact.owner != from && cursor != null && cursor.epoch().equals(epoch)
                && offset > cursor.offset() + 1) {
            // a copy through a pattern on another connection ran ahead of the topic's own sub, which brings what
            // lies between in order (replaying after a move what it missed) and this one after it: not a gap
            metrics.dropped("duplicate", 1);
            return;
        }
        if (cursor == null && exact == null && !isCovered(topic)
                || exact != null && exact.unanswered.peek() == SUB_FROM_HEAD && !isCoveredByPattern(topic)) {
            // sent by the node before it had our unsub: nobody here wants it (a sub without since that is still
            // unanswered gets its messages after its answer), and a cursor made of it would give the topic's next
            // sub a since (old messages replayed to a new subscriber) or its next message a false gap
            metrics.dropped("unsubscribed", 1);
            return;
        }
        if (cursor != null && !cursor.epoch().equals(epoch)) {
            // the cluster lost the topic's history while it was subscribed: subscribers must reload their state
            fanout.publishControl(gap(topic, cursor.epoch(), cursor.offset(), epoch, offset));
            if (exact != null && exact.history != null) {
                exact.history.clear();
            }
        }
        if (cursor != null && cursor.epoch().equals(epoch) && offset > cursor.offset() + 1) {
            // offsets increase by one per topic: what lies between never reached this gateway (a pattern's sub,
            // moved without since, starts at the head), so subscribers are told, as when a node cannot replay
            fanout.publishControl(gap(topic, epoch, cursor.offset(), epoch, offset - 1));
            if (exact != null && exact.history != null) {
                exact.history.clear(); // a replay from it would skip the hole without a word
            }
        }
        if (!cursors.accept(topic, epoch, offset, exact != null)) {
            if (recovery == null) {
                metrics.dropped("duplicate", 1);
            }
        } else {
            if (exact != null) {
                if (exact.history == null) {
                    exact.history = new TopicHistory(settings.historySize(), settings.historyMaxAgeMs());
                }
                exact.history.append(delivery, settings.clock().getAsLong());
            }
            fanout.publish(delivery);
            if (!waiting.isEmpty() && recovery == null) {
                askWaiting(topic); // its head was not known (a pattern's cursor, evicted): now it is
            }
        }
        if (recovery != null && recovery.isComplete()) {
            finish(topic, recovery, null, -1);
        }
    }

    /** The node's answer, on {@code from}, to a {@code sub} of {@code topic}. */
    void subscribed(UpstreamConnection from, String topic, String epoch, long head, Boolean recovered) {
        if (epoch == null || head < 0) {
            return; // a pattern's (no head)
        }
        if (answersWithdrawnSub(from, topic)) {
            return; // its head is stale: taken as the answer to a later sub, it would leave a cursor behind
        }
        TopicEntry entry = topics.get(topic);
        if (entry == null) {
            return; // a topic already left
        }
        Object answered = entry.unanswered.poll();
        if (answered instanceof NodeRecovery recovery) {
            if (Boolean.FALSE.equals(recovered)) {
                finish(topic, recovery, epoch, head);
            } else if (head <= recovery.since) {
                finish(topic, recovery, null, -1);
            } else {
                recovery.head = head; // the replay follows on this connection, before any live message
            }
            return;
        }
        TopicCursors.Cursor cursor = cursors.get(topic);
        boolean ahead = cursor != null && (!cursor.epoch().equals(epoch) || head > cursor.offset());
        if (cursor == null) {
            cursors.set(topic, epoch, head, true);
        } else if (Boolean.FALSE.equals(recovered) && ahead) {
            // after a move the node could not replay what this gateway missed: every subscriber is told (never
            // moved back: a pattern's connection may have brought more already)
            fanout.publishControl(gap(topic, cursor.epoch(), cursor.offset(), epoch, head));
            cursors.set(topic, epoch, head, true);
            if (entry.history != null) {
                entry.history.clear();
            }
        }
        TopicCursors.Cursor now = cursors.get(topic);
        cursors.set(topic, now.epoch(), now.offset(), true); // a pattern's until now: the topic's own, never evicted
        notePosition(topic); // the head: subscribers that get no message before their link drops resume from it
        askWaiting(topic);
    }

    private boolean answersWithdrawnSub(UpstreamConnection from, String topic) {
        Map<String, Integer> owed = withdrawnAnswers.get(from);
        Integer count = owed == null ? null : owed.get(topic);
        if (count == null) {
            return false;
        }
        if (count > 1) {
            owed.put(topic, count - 1);
        } else if (owed.remove(topic) != null && owed.isEmpty()) {
            withdrawnAnswers.remove(from);
        }
        return true;
    }

    /** Asks again what waited for the topic's head or for a replay that is over. */
    private void askWaiting(String topic) {
        List<RecoveryRequest> queued = waiting.remove(topic);
        if (queued != null) {
            queued.forEach(request -> recover(request, topic));
        }
    }

    /** Tells each loop's subscribers where the gateway stands in {@code topic}, behind the messages up to it. */
    private void notePosition(String topic) {
        TopicCursors.Cursor cursor = cursors.get(topic);
        if (cursor != null) {
            fanout.publishPosition(topic, cursor.epoch(), cursor.offset());
        }
    }

    // ---- recovery for browsers ------------------------------------------------------------------------------

    /**
     * A browser subscribed to an exact topic with {@code since}: answer with what it missed, or a gap. The answer
     * carries the session's {@code request} number, so that a session that asked again only takes the last answer.
     */
    void recover(String session, long request, String topic, String epoch, long offset) {
        recover(new RecoveryRequest(session, request, epoch, offset, settings.clock().getAsLong()), topic);
    }

    private void recover(RecoveryRequest request, String topic) {
        String session = request.session();
        String epoch = request.epoch();
        long offset = request.offset();
        TopicEntry entry = topics.get(topic);
        if (entry == null || entry.suppressed) {
            // nothing can be delivered for it anyway
            listener.recovered(session, topic, request.request(), List.of(), null);
            return;
        }
        TopicCursors.Cursor cursor = cursors.get(topic);
        if (cursor == null) {
            await(request, topic);
            return; // the topic's head is not known yet: asked again once it is
        }
        if (!cursor.epoch().equals(epoch)) {
            listener.recovered(session, topic, request.request(), List.of(),
                    gap(topic, epoch, offset, cursor.epoch(), 0));
            return;
        }
        if (offset >= cursor.offset()) {
            listener.recovered(session, topic, request.request(), List.of(), null);
            return;
        }
        List<TopicDelivery> fromHistory = entry.history == null ? null
                : entry.history.after(epoch, offset, settings.clock().getAsLong());
        if (fromHistory != null) {
            listener.recovered(session, topic, request.request(), fromHistory, null);
            return;
        }
        if (settings.clock().getAsLong() - request.askedAtMs() >= settings.recoveryTimeoutMs()) {
            // out of time (it waited for other replays or for a connection): what the history cannot give is lost
            listener.recovered(session, topic, request.request(), List.of(),
                    gap(topic, epoch, offset, cursor.epoch(), cursor.offset()));
            return;
        }
        NodeRecovery running = recoveries.get(topic);
        if (running != null && running.head < 0 && running.epoch.equals(epoch) && offset >= running.since
                && cursor.offset() == running.cursorAtStart) {
            // the node has not answered it yet and nothing came since it was asked: its head will be past all this
            // one misses, and whatever comes from now on is held for it, so it joins the replay
            forgetOlderRequests(session, topic);
            running.requests.add(request);
            return;
        }
        if (running != null || entry.owner == null || !entry.owner.isConnected()) {
            // a replay is under way (asked again after it), or the topic's sub moves with since once a connection is
            // up (asked after its answer)
            await(request, topic);
            return;
        }
        NodeRecovery recovery = new NodeRecovery(epoch, offset, cursor.offset());
        recovery.requests.add(request);
        recoveries.put(topic, recovery);
        entry.unanswered.add(recovery);
        entry.owner.write("{\"type\":\"sub\",\"topic\":" + Json.quote(topic) + ",\"since\":{\"epoch\":"
                + Json.quote(epoch) + ",\"offset\":" + offset + "}}");
        // the time limit counts from the browser's request, also for one asked again after a lost link
        long left = request.askedAtMs() + settings.recoveryTimeoutMs() - settings.clock().getAsLong();
        recovery.timer = vertx.setTimer(Math.max(1, left), t -> {
            if (recoveries.get(topic) == recovery) {
                fail(topic, recovery);
            }
        });
    }

    /**
     * Queues a request until the topic's head is known or its replay is over. One per session and topic: a session
     * takes only the answer to its last question, so an older one would cost a replay for nothing (and a browser
     * repeating a subscribe with since could otherwise grow the queue without bound).
     */
    private void await(RecoveryRequest request, String topic) {
        List<RecoveryRequest> queue = waiting.computeIfAbsent(topic, t -> new ArrayList<>());
        for (RecoveryRequest asked : queue) {
            if (asked.session().equals(request.session()) && asked.request() > request.request()) {
                return; // the session asked again since (request numbers only grow): only that one is answered
            }
        }
        queue.removeIf(asked -> asked.session().equals(request.session()));
        queue.add(request);
    }

    /** Drops what {@code session} asked before about {@code topic}: it takes only the answer to its last question. */
    private void forgetOlderRequests(String session, String topic) {
        List<RecoveryRequest> queue = waiting.get(topic);
        if (queue != null) {
            queue.removeIf(asked -> asked.session().equals(session));
            if (queue.isEmpty()) {
                waiting.remove(topic);
            }
        }
        NodeRecovery running = recoveries.get(topic);
        if (running != null) {
            running.requests.removeIf(asked -> asked.session().equals(session));
        }
    }

    /** A session that ended: nobody takes the answers to its questions, so none is asked of a node. */
    void sessionEnded(String session) {
        for (String topic : List.copyOf(waiting.keySet())) {
            forgetOlderRequests(session, topic);
        }
        for (NodeRecovery running : recoveries.values()) {
            running.requests.removeIf(asked -> asked.session().equals(session));
        }
    }

    /**
     * Answers every question about a topic that left upstream: what it missed up to the gateway's cursor can no longer
     * be replayed, so a gap up to it (cut by the session at the first live message it holds), or nothing when the
     * gateway never had a position. Runs before the cursor is forgotten.
     */
    private void endRecoveries(String topic) {
        NodeRecovery running = recoveries.remove(topic);
        List<RecoveryRequest> asked = new ArrayList<>(waiting.getOrDefault(topic, List.of()));
        waiting.remove(topic);
        if (running != null) {
            vertx.cancelTimer(running.timer);
            asked.addAll(running.requests);
        }
        TopicCursors.Cursor cursor = cursors.get(topic);
        for (RecoveryRequest request : asked) {
            listener.recovered(request.session(), topic, request.request(), List.of(), cursor == null ? null
                    : gap(topic, request.epoch(), request.offset(), cursor.epoch(), cursor.offset()));
        }
    }

    /** Requests waiting for a topic's head or for a replay under way, all topics together. */
    int waitingRequests() {
        return waiting.values().stream().mapToInt(List::size).sum();
    }

    /**
     * The replay's time ran out: a gap up to the cursor for the requests whose own limit has passed; those that
     * joined it later are asked again (their limit is their own).
     */
    private void fail(String topic, NodeRecovery recovery) {
        long now = settings.clock().getAsLong();
        List<RecoveryRequest> stillInTime = new ArrayList<>();
        recovery.requests.removeIf(request -> now - request.askedAtMs() < settings.recoveryTimeoutMs()
                && stillInTime.add(request));
        stillInTime.forEach(request -> await(request, topic));
        TopicCursors.Cursor cursor = cursors.get(topic);
        finish(topic, recovery, cursor == null ? recovery.epoch : cursor.epoch(),
                cursor == null ? recovery.since : cursor.offset());
    }

    /**
     * Answers every request of a replay: with what it collected, or, when {@code gapToEpoch} is set (the node could
     * not replay), a gap from each request's own position up to {@code (gapToEpoch, gapToHead)}.
     */
    private void finish(String topic, NodeRecovery recovery, String gapToEpoch, long gapToHead) {
        if (recoveries.get(topic) != recovery) {
            return;
        }
        recoveries.remove(topic);
        vertx.cancelTimer(recovery.timer);
        List<TopicDelivery> replay = gapToEpoch == null ? List.copyOf(recovery.collected.values()) : List.of();
        for (RecoveryRequest request : recovery.requests) { // each cuts the shared replay at its own position
            TopicDelivery gap = gapToEpoch == null ? null
                    : gap(topic, request.epoch(), request.offset(), gapToEpoch, gapToHead);
            listener.recovered(request.session(), topic, request.request(), replay, gap);
        }
        askWaiting(topic);
    }

    /**
     * A gap for what came after {@code (fromEpoch, fromOffset)} up to {@code (toEpoch, head)}: a {@code reset} when
     * the epoch changed, else the range, which the frame carries for a session replaying the topic; null when that
     * range is empty (nothing was missed: a gap from 43 to 42 would only confuse a browser).
     */
    static TopicDelivery gap(String topic, String fromEpoch, long fromOffset, String toEpoch, long head) {
        if (!fromEpoch.equals(toEpoch)) {
            return new TopicDelivery(topic, null, -1, "{\"type\":\"gap\",\"topic\":" + Json.quote(topic)
                    + ",\"epoch\":" + Json.quote(toEpoch) + ",\"reset\":true}", System.nanoTime());
        }
        if (head <= fromOffset) {
            return null;
        }
        return TopicDelivery.gap(topic, new TopicDelivery.Gap(toEpoch, fromOffset + 1, head), System.nanoTime());
    }
}
