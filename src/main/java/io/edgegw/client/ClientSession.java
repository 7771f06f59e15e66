package io.edgegw.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.edgegw.fanout.FanoutShard;
import io.edgegw.fanout.PatternSet;
import io.edgegw.fanout.Json;
import io.edgegw.fanout.Subscriber;
import io.edgegw.fanout.TopicDelivery;
import io.edgegw.fanout.TopicPattern;
import io.edgegw.upstream.BinaryTopicFrame;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.subscription.UniSubscriber;
import io.smallrye.mutiny.subscription.UniSubscription;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * One browser session: its subscriptions, its ignore list, its sends in flight and its outbound batch. Confined to
 * the event loop of its WebSocket (the loop of its {@link FanoutShard}): the endpoint callbacks and every action
 * routed to it from upstream run there, so nothing here needs a lock.
 */
public final class ClientSession implements Subscriber {

    private static final Logger LOG = Logger.getLogger(ClientSession.class);

    private final String id;
    private final String user;
    /** The topic patterns this user may subscribe to; null for any. */
    private final PatternSet allowedTopics;
    private final RequestRate rate;
    private final WebSocketConnection connection;
    private final FanoutShard shard;
    private final SessionServices services;
    private final OutboundBudget budget;
    /** The gateway's own start-up warm-up link ({@link LinkWarmup}): not a browser, never told to the cluster. */
    private final boolean warmup;

    private final Set<String> subscriptions = new LinkedHashSet<>();
    private PatternSet ignores = PatternSet.EMPTY;
    private final Set<String> sendsInFlight = new HashSet<>();
    /** Where each exact subscription stood when the link was lost: where a resume continues from. */
    private Map<String, SessionState.Position> positionsAtDetach = Map.of();
    /** Exact topics subscribed with {@code since} whose missed messages are on their way; null when none. */
    private Map<String, TopicRecovery> recovering;
    /** Chars held for {@link #recovering}, all topics together: bounded by {@code max-outbound-bytes}. */
    private long heldForRecovery;
    /**
     * Recovery request numbers, unique in the process: answers are routed by session id, and a resumed session's
     * successor (same id) must not take an answer to its predecessor's question for its own.
     */
    private static final AtomicLong RECOVERY_REQUESTS = new AtomicLong();
    /** Numbers the browser links of the process, so that the cluster can tell an older link's end from a newer's. */
    private static final AtomicLong LINKS = new AtomicLong();
    private final long link = LINKS.incrementAndGet();

    private final List<Object> outbox = new ArrayList<>();
    private boolean touched;
    private long unflushedBytes;
    /** Of {@link #unflushedBytes}, a frame larger than the bound on its own that the socket has not taken yet. */
    private long oversizedUnflushed;
    private boolean closed;
    /** The code and reason of the cluster's {@code kick} that closed the link; 0 when none did. */
    private int kickedWith;
    private String kickReason;
    /** Counted out of its loop's outbound budget: the link ended. */
    private boolean left;
    /** The close code the gateway chose, when it closed the link itself. */
    private int closedWith;
    /** Disconnected and held for a resume: frames for it wait in {@link #held}. */
    private boolean detached;
    /** Handed over to a resumed successor: its end is not the session's end. */
    private boolean handedOver;
    private final List<String> held = new ArrayList<>();
    /** Held frames dropped past {@code gateway.session.held-frames} since they were last handed on. */
    private int heldDropped;
    /** Frames the browser sent before its resumed state arrived, and their length in chars. */
    private List<String> beforeRestore;
    private long beforeRestoreChars;
    /** A newer resume that came before this session's own resumed state: it gets that state when it comes. */
    private Consumer<SessionState> pendingSuccessor;
    /** The resumed state is held, not joined to the shard: it came after the link was lost or replaced. */
    private boolean stateHeld;
    /**
     * Outcomes of sends that came while the resumed state, which holds those sends, was on its way; null when none.
     * Without it they found no send in flight and were dropped: the browser never had its ack.
     */
    private List<SendOutcome> outcomesBeforeState;
    /**
     * Where each topic's first message refused to this browser as a slow consumer lies; null until a 4002. A resume
     * continues from just before it: the shard's position, past what was refused, made a resume without
     * {@code since} skip it without a gap.
     */
    private Map<String, SessionState.Position> refusedFrom;
    /** A refused reset: a position in an epoch no node has, so that the resume gets a reset again. */
    private static final SessionState.Position RESET_REFUSED = new SessionState.Position("", 0);
    private long timer = -1;

    /** {@code warmup}: a link of the gateway's own {@link LinkWarmup}, never told to the cluster nor resumable. */
    ClientSession(String id, String user, PatternSet allowedTopics, WebSocketConnection connection,
            FanoutShard shard, SessionServices services, boolean warmup) {
        this.warmup = warmup;
        this.id = id;
        this.user = user;
        this.allowedTopics = allowedTopics;
        this.connection = connection;
        this.shard = shard;
        this.services = services;
        this.budget = services.budget(shard);
        this.rate = new RequestRate(services.config().client().requestRate(), services.config().client().requestBurst(),
                System::nanoTime);
        budget.join(); // last: a session that failed to build is never counted
    }

    public String id() {
        return id;
    }

    public String user() {
        return user;
    }

    /** This browser link's number: it grows with every link the process opens. */
    long link() {
        return link;
    }

    /** Bytes written and not yet taken by the socket; read by the metrics sampler from another thread (may be stale). */
    public long outboundBacklog() { return unflushedBytes; }

    FanoutShard shard() {
        return shard;
    }

    /** The first frame on every link; {@code restored} is null for a new session. */
    void welcome(SessionState restored) {
        String restoredJson = restored == null ? "null"
                : "{\"subscriptions\":" + Json.stringArray(restored.subscriptions()) + ",\"ignores\":"
                        + Json.stringArray(restored.ignores()) + "}";
        reply("{\"type\":\"welcome\",\"protocol\":1,\"session\":" + Json.quote(id) + ",\"resume\":"
                + Json.quote(services.resumeTokens().issue(id, user)) + ",\"heartbeat\":"
                + services.config().client().heartbeat().toMillis() + ",\"restored\":" + restoredJson + "}");
        shard.flushTouched();
    }

    /** Until {@link #restore} runs, frames from the browser wait: the welcome must say what came back first. */
    void awaitRestore() {
        beforeRestore = new ArrayList<>();
    }

    /** Ends the session at {@code atMs} (its token's expiry) with 4003. */
    void expireAt(long atMs) {
        long delay = Math.max(1, atMs - System.currentTimeMillis());
        timer = services.vertx().setTimer(delay, t -> shard.enqueue((Runnable) () -> {
            close(CloseCode.TOKEN_EXPIRED.code(), "token expired");
            shard.flushTouched();
        }));
    }

    /**
     * Gives this session's state to a successor with the same id and retires it: a live link is closed with 4001,
     * a held one just stops waiting. A session that is itself waiting for its predecessor's state (resumed twice in
     * quick succession) passes it on once it comes. Runs on this session's loop.
     */
    void handOverTo(Consumer<SessionState> successor) {
        if (beforeRestore != null) {
            pendingSuccessor = successor;
            return;
        }
        successor.accept(handOver());
        shard.flushTouched();
    }

    private SessionState handOver() {
        handedOver = true;
        cancelTimer();
        boolean joined = !detached && !stateHeld; // its subscriptions are on the shard
        Map<String, SessionState.Position> delivered = joined ? positionsToResumeFrom() : positionsAtDetach;
        SessionState state = new SessionState(List.copyOf(subscriptions), ignores.patterns(), delivered,
                Set.copyOf(sendsInFlight), List.copyOf(held), heldDropped);
        held.clear();
        heldDropped = 0;
        if (joined) {
            subscriptions.forEach(this::leaveShard);
        }
        if (!detached) {
            close(CloseCode.SESSION_REPLACED.code(), "session replaced by a newer connection");
        }
        forwardKick(); // kicked as the browser came back
        return state;
    }

    /** Takes over a predecessor's state: welcome first, then its subscriptions, recoveries and held frames. */
    void restore(SessionState state) {
        if (handedOver) {
            return; // the session ended for good (end()) before the state came: nothing to serve
        }
        if (detached || pendingSuccessor != null || closed) { // closed: by a kick or a drain before the state came
            holdForSuccessor(state);
            if (pendingSuccessor != null) { // resumed again meanwhile: the state goes straight on
                Consumer<SessionState> successor = pendingSuccessor;
                pendingSuccessor = null;
                handOverTo(successor);
            }
            return;
        }
        ignores = PatternSet.of(state.ignores());
        sendsInFlight.addAll(state.sendsInFlight());
        List<String> waiting = beforeRestore;
        beforeRestore = null;
        welcome(state);
        for (String topic : state.subscriptions()) {
            if (!subscriptions.contains(topic)) {
                join(topic);
            }
        }
        state.positions().forEach((topic, position) -> {
            if (subscriptions.contains(topic)) {
                recover(topic, position.epoch(), position.offset());
            }
        });
        // the predecessor's held frames, then those held here meanwhile, after one note of all that were dropped
        List<String> arrivedMeanwhile = new ArrayList<>(held);
        held.clear();
        held.addAll(state.heldFrames());
        held.addAll(arrivedMeanwhile);
        heldDropped += state.heldDropped();
        takeHeld().forEach(this::reply);
        takeOutcomesBeforeState().forEach(outcome -> sendOutcome(outcome.id, outcome.errorCode, outcome.message));
        if (waiting != null) {
            waiting.forEach(this::onText);
        }
        shard.flushTouched();
    }

    /**
     * The link was lost before the predecessor's state came (it takes two hops between loops): the state is held
     * as this session's own, for the next resume, without joining the shard or writing a welcome for a link gone.
     */
    private void holdForSuccessor(SessionState state) {
        ignores = PatternSet.of(state.ignores());
        sendsInFlight.addAll(state.sendsInFlight());
        subscriptions.addAll(state.subscriptions());
        positionsAtDetach = state.positions();
        List<String> arrivedMeanwhile = new ArrayList<>(held);
        held.clear();
        heldDropped += state.heldDropped(); // a count: re-held as a frame, the bound could push it out
        state.heldFrames().forEach(this::hold);
        arrivedMeanwhile.forEach(this::hold);
        for (SendOutcome outcome : takeOutcomesBeforeState()) { // held too: they go on with the state
            if (sendsInFlight.remove(outcome.id)) {
                hold(outcome.frame());
            }
        }
        beforeRestore = null; // requests of a link that is gone or replaced: unanswered, the browser sends them again
        stateHeld = true;
    }

    private List<SendOutcome> takeOutcomesBeforeState() {
        List<SendOutcome> outcomes = outcomesBeforeState == null ? List.of() : outcomesBeforeState;
        outcomesBeforeState = null;
        return outcomes;
    }

    // ---- browser → gateway ----------------------------------------------------------------------------------

    /** A text frame from the browser: one request per line; the replies leave as one frame. */
    void onText(String frame) {
        if (beforeRestore != null) {
            // bounded as every queue is: a browser's few requests of its first moments fit, a flood does not
            beforeRestoreChars += frame.length();
            if (beforeRestore.size() >= services.config().client().requestBurst() || beforeRestoreChars > Math.max(
                    services.config().client().maxOutboundBytes(), 2L * services.config().client().maxFrameSize())) {
                close(CloseCode.POLICY_VIOLATION.code(), "repeated abuse: request flood");
                return;
            }
            beforeRestore.add(frame);
            return;
        }
        int start = 0;
        int length = frame.length();
        while (start < length && !closed) {
            int end = frame.indexOf('\n', start);
            if (end < 0) {
                end = length;
            }
            String line = frame.substring(start, end).strip();
            if (!line.isEmpty()) {
                handle(line);
            }
            start = end + 1;
        }
        shard.flushTouched();
    }

    void onBinary() {
        if (admitted(null)) { // a flood of them is a flood like any other
            error(null, ErrorCode.BAD_REQUEST, "binary frames are not accepted: send JSON text frames");
        }
        shard.flushTouched();
    }

    /**
     * The request rate: false, with a {@code rate_limited} error (naming the request, so that a client can settle
     * it) or a 1008 close after too many, when {@code line} comes too soon.
     */
    private boolean admitted(String line) {
        if (rate.tryAcquire()) {
            return true;
        }
        if (rate.strikes() > services.config().client().requestBurst()) {
            close(CloseCode.POLICY_VIOLATION.code(), "repeated abuse: request flood");
        } else {
            error(line == null ? null : ClientRequest.idOf(line), ErrorCode.RATE_LIMITED,
                    "too many requests: slow down");
        }
        return false;
    }

    private void handle(String line) {
        if (!admitted(line)) {
            return;
        }
        try {
            ClientRequest request = ClientRequest.parse(line);
            if (request.id() != null && sendsInFlight.contains(request.id())) {
                // only sends stay in flight (the rest are answered at once); a reply must name one request
                throw new ClientRequest.RequestException(request.id(), ErrorCode.BAD_REQUEST,
                        "duplicate id: a request with this id is still in flight");
            }
            switch (request.type()) {
                case "ping" -> reply("{\"type\":\"pong\"}");
                case "subscribe" -> subscribe(request);
                case "unsubscribe" -> unsubscribe(request);
                case "ignore", "unignore" -> changeIgnores(request);
                case "send" -> send(request);
                default -> throw new IllegalStateException(request.type());
            }
        } catch (ClientRequest.RequestException e) {
            services.clientError(id, e.code, e.getMessage());
            error(e.id, e.code, e.getMessage());
        }
    }

    private void subscribe(ClientRequest request) throws ClientRequest.RequestException {
        requireValidPatterns(request);
        if (allowedTopics != null) {
            for (String topic : request.topics()) {
                if (!allowedTopics.coversAll(topic)) {
                    throw new ClientRequest.RequestException(request.id(), ErrorCode.NOT_ALLOWED,
                            "not allowed for this user: " + topic);
                }
            }
        }
        List<String> added = new ArrayList<>();
        for (String topic : request.topics()) {
            if (!subscriptions.contains(topic)) {
                added.add(topic);
            }
        }
        if (subscriptions.size() + added.size() > services.config().client().maxSubscriptions()) {
            throw new ClientRequest.RequestException(request.id(), ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                    "at most " + services.config().client().maxSubscriptions() + " subscriptions per session");
        }
        Map<String, SessionState.Position> since = sincePositions(request);
        // the reply is queued before the index changes, so `subscribed` precedes every message of these topics
        reply("{\"type\":\"subscribed\",\"id\":" + Json.quote(request.id()) + ",\"topics\":"
                + Json.stringArray(request.topics()) + "}");
        for (String topic : added) {
            join(topic);
        }
        since.forEach((topic, position) -> recover(topic, position.epoch(), position.offset()));
    }

    /** The last (epoch, offset) delivered per exact subscription, read from the shard (no per-message work here). */
    private Map<String, SessionState.Position> positions() {
        Map<String, SessionState.Position> delivered = new LinkedHashMap<>();
        for (String topic : subscriptions) {
            TopicDelivery last = shard.lastDelivered(topic);
            if (last != null) {
                delivered.put(topic, new SessionState.Position(last.epoch(), last.offset()));
            }
        }
        if (recovering != null) { // what was still being recovered resumes from where it was asked
            recovering.forEach((topic, r) -> delivered.put(topic, new SessionState.Position(r.epoch, r.since)));
        }
        return delivered;
    }

    private void join(String topic) {
        subscriptions.add(topic);
        // a warm-up link's topic (its own, named at random) is never asked of the cluster; the check sits in the
        // branch taken only by a topic's first subscriber on this loop, so browsers' code runs as the warm-up's did
        if (shard.subscribe(topic, this) && !warmup) {
            services.pool().demand(topic, +1);
        }
    }

    /**
     * Asks for what came after {@code (epoch, offset)}; live messages wait until it arrives. Asking again replaces
     * the question: after a resume the browser's own position (what it really received) wins over the one the
     * gateway restored (what it wrote, some of which a dead link may have swallowed).
     */
    private void recover(String topic, String epoch, long offset) {
        if (recovering == null) {
            recovering = new HashMap<>();
        }
        TopicRecovery recovery = new TopicRecovery(RECOVERY_REQUESTS.incrementAndGet(), epoch, offset);
        TopicRecovery replaced = recovering.put(topic, recovery);
        if (replaced != null) {
            recovery.takeOver(replaced);
        }
        services.pool().recover(id, recovery.request, topic, epoch, offset);
    }

    /** The answer to {@link #recover}: a gap or the missed messages, then the live ones held meanwhile, once each. */
    void recovered(String topic, long request, List<TopicDelivery> messages, TopicDelivery gap) {
        TopicRecovery recovery = recovering == null ? null : recovering.get(topic);
        if (recovery == null || recovery.request != request) {
            return; // unsubscribed meanwhile, or asked again since
        }
        recovering.remove(topic);
        if (recovering.isEmpty()) {
            recovering = null;
        }
        heldForRecovery -= recovery.heldSize();
        long countedWhenHeld = recovery.handedOver(); // the fan-out counted live messages as it handed them over
        long ignored = 0;
        long handed = 0;
        for (TopicDelivery delivery : recovery.release(gap, messages)) {
            if (ignores(delivery.topic())) { // replayed or held, it has not met the ignore check of live delivery
                ignored++;
            } else if (deliver(delivery) && !delivery.isControl()) { // refused to a closing link: not delivered
                handed++;
            }
        }
        if (ignored > 0) {
            services.metrics().ignoredBySession(ignored);
        }
        if (handed > countedWhenHeld) {
            services.metrics().delivered(handed - countedWhenHeld, List.of());
        }
        if (recovery.lostToCompaction() > 0) { // held past the bound, and the replay did not bring them back
            services.metrics().dropped("recovery_overflow", recovery.lostToCompaction());
        }
    }

    private Map<String, SessionState.Position> sincePositions(ClientRequest request)
            throws ClientRequest.RequestException {
        Map<String, SessionState.Position> result = new LinkedHashMap<>();
        if (request.since() == null) {
            return result;
        }
        var fields = request.since().fields();
        while (fields.hasNext()) {
            var field = fields.next();
            String topic = field.getKey();
            var value = field.getValue();
            if (!request.topics().contains(topic) || !TopicPattern.isValidTopic(topic)) {
                throw new ClientRequest.RequestException(request.id(), ErrorCode.BAD_REQUEST,
                        "since names " + topic + ", which is not an exact topic of this request");
            }
            if (!value.isObject() || !value.path("epoch").isTextual() || !value.path("offset").canConvertToLong()
                    || !value.path("offset").isIntegralNumber() || value.path("offset").longValue() < 0) {
                throw new ClientRequest.RequestException(request.id(), ErrorCode.BAD_REQUEST,
                        "since." + topic + " must be {\"epoch\":string,\"offset\":integer}");
            }
            result.put(topic, new SessionState.Position(value.path("epoch").textValue(), value.path("offset").longValue()));
        }
        return result;
    }

    private void unsubscribe(ClientRequest request) throws ClientRequest.RequestException {
        requireValidPatterns(request);
        for (String topic : request.topics()) {
            leave(topic);
        }
        reply("{\"type\":\"unsubscribed\",\"id\":" + Json.quote(request.id()) + ",\"topics\":"
                + Json.stringArray(request.topics()) + "}");
    }

    private void leave(String topic) {
        TopicRecovery recovery = recovering == null ? null : recovering.remove(topic);
        if (subscriptions.remove(topic)) {
            leaveShard(topic);
        }
        if (recovery == null) {
            return;
        }
        heldForRecovery -= recovery.heldSize();
        if (!coveredByPattern(topic)) {
            return;
        }
        List<TopicDelivery> held = recovery.heldInOrder();
        if (ignores(topic)) { // held before the ignore: the ignore check of live delivery applies now
            long messages = held.stream().filter(delivery -> !delivery.isControl()).count();
            services.metrics().ignoredBySession(messages + recovery.compactedMessages());
            return;
        }
        // still owed through a pattern: what was held for the replay goes out live, as the pattern sends it
        held.forEach(this::deliver);
        if (recovery.compactedMessages() > 0) { // held past the bound: they went out as gaps
            services.metrics().dropped("recovery_overflow", recovery.compactedMessages());
        }
    }

    /**
     * More is held for recoveries than the browser may have pending: every recovering topic keeps only the offset
     * ranges it holds, which the replays fill in (what a replay does not bring becomes a gap), so what stays held is a
     * few gap lines and the next compaction is a bound's worth of messages away.
     */
    private void compactHeld() {
        heldForRecovery = 0;
        for (TopicRecovery recovery : recovering.values()) {
            recovery.compact();
            heldForRecovery += recovery.heldSize();
        }
    }

    private boolean coveredByPattern(String topic) {
        for (String subscription : subscriptions) {
            if (TopicPattern.matches(subscription, topic)) {
                return true;
            }
        }
        return false;
    }

    private void leaveShard(String topic) {
        if (shard.unsubscribe(topic, this) && !warmup) {
            services.pool().demand(topic, -1);
        }
    }

    private void changeIgnores(ClientRequest request) throws ClientRequest.RequestException {
        requireValidPatterns(request);
        boolean add = request.type().equals("ignore");
        Set<String> patterns = new LinkedHashSet<>(ignores.patterns());
        if (add) {
            patterns.addAll(request.topics());
            int limit = services.config().client().maxSubscriptions();
            if (patterns.size() > limit) { // every message to the session is matched against the list
                throw new ClientRequest.RequestException(request.id(), ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                        "at most " + limit + " ignore patterns per session");
            }
        } else {
            patterns.removeAll(new HashSet<>(request.topics()));
        }
        ignores = PatternSet.of(patterns); // built once per request: one pattern at a time rebuilt it per pattern
        reply("{\"type\":\"" + (add ? "ignored" : "unignored") + "\",\"id\":" + Json.quote(request.id())
                + ",\"topics\":" + Json.stringArray(request.topics()) + "}");
    }

    private void send(ClientRequest request) throws ClientRequest.RequestException {
        if (sendsInFlight.size() >= services.config().client().maxInflightSends()) {
            services.metrics().send("rejected");
            throw new ClientRequest.RequestException(request.id(), ErrorCode.RATE_LIMITED,
                    "too many sends in flight: wait for their acks");
        }
        sendsInFlight.add(request.id());
        String line = "{\"type\":\"send\",\"session\":" + Json.quote(id) + ",\"id\":" + Json.quote(request.id())
                + ",\"event\":" + Json.quote(request.event()) + ",\"data\":" + request.dataJson() + "}";
        services.pool().send(id, request.id(), line);
    }

    private void requireValidPatterns(ClientRequest request) throws ClientRequest.RequestException {
        for (String topic : request.topics()) {
            if (!TopicPattern.isValidPattern(topic)) {
                throw new ClientRequest.RequestException(request.id(), ErrorCode.INVALID_TOPIC,
                        "invalid topic or pattern: " + topic);
            }
        }
    }

    // ---- upstream → browser (routed here on this session's loop) ------------------------------------------

    /*
     * direct and sendOutcome are routed by session id to the session registered at that moment. One that reaches a
     * session already handed to a resumed successor (the successor registered between the routing and the task) is
     * the successor's, where it may come after one routed to the successor directly; a send's outcome that reaches
     * a successor before its state (which holds the send) waits for that state.
     */

    void direct(String event, String rawData) {
        if (handedOver) {
            services.registry().onSuccessorOf(this, successor -> successor.direct(event, rawData));
            return;
        }
        reply("{\"type\":\"direct\",\"event\":" + Json.quote(event) + ",\"data\":"
                + (rawData == null ? "null" : rawData) + "}");
    }

    void sendOutcome(String requestId, String errorCode, String message) {
        if (handedOver) {
            services.registry().onSuccessorOf(this,
                    successor -> successor.sendOutcome(requestId, errorCode, message));
            return;
        }
        if (beforeRestore != null) {
            if (outcomesBeforeState == null) {
                outcomesBeforeState = new ArrayList<>();
            }
            outcomesBeforeState.add(new SendOutcome(requestId, errorCode, message));
            return;
        }
        if (sendsInFlight.remove(requestId)) {
            reply(new SendOutcome(requestId, errorCode, message).frame());
        }
    }

    /** A node's answer to a browser's {@code send}: {@code errorCode} null for an ack. */
    private record SendOutcome(String id, String errorCode, String message) {
        String frame() {
            return errorCode == null ? "{\"type\":\"ack\",\"id\":" + Json.quote(id) + "}"
                    : errorFrame(id, errorCode, message == null ? errorCode : message);
        }
    }

    /**
     * The cluster closes the session with {@code code}. A kick that finds the session already handed to a resumed
     * successor, or handed over by the close it causes, is the successor's: it goes on to the registry's newest.
     */
    void kick(int code, String reason) {
        if (resumable(code)) {
            // 4002: held as the gateway's own slow-consumer close is, and the browser resumes. Not carried over to
            // the resumed link (a recorded kick was, and closed every resume with 4002 again); a held or replaced
            // link has nothing left to close
            if (!handedOver && !detached) {
                // what it still had to send is refused too, as the gateway's own 4002 refuses it
                services.metrics().dropped("slow_consumer", noteRefused(0));
                close(code, reason == null ? "closed by the cluster" : reason);
            }
            return;
        }
        if (handedOver) {
            services.registry().kickSuccessor(this, code, reason);
            return;
        }
        if (detached) {
            if (!end(code)) { // the cluster ended it: no resume
                services.registry().kickSuccessor(this, code, reason);
            }
            return;
        }
        kickedWith = code;
        kickReason = reason;
        close(code, reason == null ? "closed by the cluster" : reason);
    }

    /** A kick that closed this link goes on, once, to the resumed successor that took the session's place. */
    private void forwardKick() {
        if (kickedWith != 0) {
            services.registry().kickSuccessor(this, kickedWith, kickReason);
            kickedWith = 0;
        }
    }

    // ---- fan-out and writing ------------------------------------------------------------------------------

    @Override
    public boolean ignores(String topic) {
        return !ignores.isEmpty() && ignores.matches(topic);
    }

    @Override
    public boolean deliver(TopicDelivery delivery) {
        if (recovering != null) {
            TopicRecovery recovery = recovering.get(delivery.topic());
            if (recovery != null) {
                if (closed) { // nothing more for this link: a resume asks again from where this recovery did
                    noteRefused(delivery.topic(), recovery.epoch, recovery.since + 1);
                    if (!delivery.isControl() && closedWith == CloseCode.SLOW_CONSUMER.code()) {
                        services.metrics().dropped("slow_consumer", 1);
                    }
                    return false;
                }
                // held until what it missed has been delivered before it; a gap too, or the browser would take
                // the replay that follows it for repeats of what the gap skipped
                heldForRecovery += recovery.hold(delivery);
                if (heldForRecovery > services.config().client().maxOutboundBytes()) {
                    compactHeld();
                }
                return true;
            }
        }
        if (closed) { // the gateway closed the link (a 4002, an idle 1001, a drain) and it has not ended yet
            if (!delivery.isControl()) {
                noteRefused(delivery.topic(), delivery.epoch(), delivery.offset());
                if (closedWith == CloseCode.SLOW_CONSUMER.code()) {
                    services.metrics().dropped("slow_consumer", 1); // refused to the slow consumer, as the rest
                }
            } else if (delivery.gap() != null) {
                noteRefused(delivery.topic(), delivery.gap().epoch(), delivery.gap().from());
            } else {
                noteRefused(delivery.topic(), RESET_REFUSED);
            }
            return false;
        }
        queue(delivery.payload(), true);
        return true;
    }

    /**
     * {@code topicFrame}: a topic message or gap, which a resume recovers; known here rather than from the line,
     * which is the node's own as it came, in whatever field order it wrote.
     */
    private void queue(Object item, boolean topicFrame) {
        if (!topicFrame && (detached || beforeRestore != null || closingForResume())) { // fan-out: one test
            hold((String) item); // directs and acks: held for the browser's return
            return;
        }
        if (closed) {
            return;
        }
        outbox.add(item);
        if (!touched) {
            touched = true;
            shard.touched(this);
        }
    }

    private void reply(String line) {
        queue(line, false);
    }

    private void error(String requestId, ErrorCode code, String message) {
        reply(errorFrame(requestId, code.wireName(), message));
    }

    private static String errorFrame(String requestId, String code, String message) {
        return "{\"type\":\"error\"" + (requestId == null ? "" : ",\"id\":" + Json.quote(requestId)) + ",\"code\":"
                + Json.quote(code) + ",\"message\":" + Json.quote(message) + "}";
    }

    @Override
    public void flush() {
        touched = false;
        if (closed || outbox.isEmpty()) {
            outbox.clear();
            return;
        }
        int runStart = 0;
        for (int i = 0; i < outbox.size(); i++) {
            if (!(outbox.get(i) instanceof String)) {
                writeText(runStart, i);
                if (closed) { // a write refused as a slow consumer's closed the link (and cleared the outbox)
                    return;
                }
                write(i);
                runStart = i + 1;
            }
        }
        writeText(runStart, outbox.size());
        outbox.clear();
    }

    /** Writes the text lines {@code outbox[from, to)} as one frame. */
    private void writeText(int from, int to) {
        if (from >= to) {
            return;
        }
        String frame = shard.joiner().join(outbox, from, to);
        long size = frame.length();
        if (!reserve(size, from)) {
            return;
        }
        connection.sendText(frame).subscribe().withSubscriber(new FrameWrite(this, size));
    }

    /** Writes the binary frame {@code outbox[index]}. */
    private void write(int index) {
        Buffer binary = (Buffer) outbox.get(index);
        long size = binary.length();
        if (!reserve(size, index)) {
            return;
        }
        connection.sendBinary(binary).subscribe().withSubscriber(new FrameWrite(this, size));
    }

    /**
     * Takes a frame's bytes off the unflushed count once the socket has them. A subscriber of its own rather than
     * {@code subscribe().with(…)}: Mutiny's context propagation wraps every callback given to {@code with}, a capture
     * of all thread contexts per frame written, which the fan-out path does not need (it runs on the link's loop).
     */
    private static final class FrameWrite implements UniSubscriber<Void> {
        private final ClientSession session;
        private final long size;

        FrameWrite(ClientSession session, long size) {
            this.session = session;
            this.size = size;
        }

        @Override
        public void onSubscribe(UniSubscription subscription) {
        }

        @Override
        public void onItem(Void ignored) {
            session.flushed(size);
        }

        @Override
        public void onFailure(Throwable failure) {
            session.writeFailed(size, failure);
        }
    }

    private void flushed(long size) {
        if (size > services.config().client().maxOutboundBytes()) { // reserve() counted it as oversized
            oversizedUnflushed -= size;
        }
        unflushedBytes -= size;
        budget.release(size);
    }

    /** A write the link refused (it closed meanwhile): its bytes no longer count as unflushed. */
    private void writeFailed(long size, Throwable failure) {
        flushed(size);
        LOG.debugf("session %s: write failed: %s", id, failure);
    }

    /**
     * Counts bytes the socket has not taken yet (chars of a text frame: its UTF-8 bytes would cost a pass over every
     * frame). A browser too slow to take them is disconnected with 4002: past its own bound, or when its loop's
     * {@link OutboundBudget} refuses it. {@code refused}: where in the outbox the frame refused then starts.
     */
    private boolean reserve(long size, int refused) {
        // a frame larger than the bound on its own (a recovery replay is one) goes out while what else is pending is
        // within the bound and no other such frame is on its way: refused, it would be refused again on every resume,
        // which recovers from before it, for as long as other topics keep a little pending. Until the socket took
        // it, the frames after it are checked against what else is pending, or the next live message would close
        // the link before its replay got through
        long bound = services.config().client().maxOutboundBytes();
        long pendingBesides = unflushedBytes - oversizedUnflushed;
        boolean oversized = size > bound;
        boolean overOwnBound = oversized ? oversizedUnflushed > 0 || pendingBesides > bound
                : pendingBesides > 0 && pendingBesides + size > bound;
        if (overOwnBound || !budget.admits(unflushedBytes, size)) {
            services.metrics().dropped("slow_consumer", noteRefused(refused));
            LOG.infof("session %s: slow consumer (%d bytes unflushed%s), closing with 4002", id, unflushedBytes,
                    overOwnBound ? "" : "; this event loop's sessions hold " + budget.unflushed()
                            + " against its share of gateway.client.max-outbound-bytes-total, " + budget.share());
            close(CloseCode.SLOW_CONSUMER.code(), "slow consumer");
            return false;
        }
        unflushedBytes += size;
        if (oversized) {
            oversizedUnflushed += size;
        }
        budget.reserve(size);
        return true;
    }

    /**
     * Notes where each topic's part of {@code outbox[from…]}, the part a slow consumer is refused, starts: its first
     * message, or the first offset of a gap, or a reset. Parses the lines again: once per 4002, off the fan-out path.
     * Returns how many topic messages are refused (replies and gaps are not messages).
     */
    private int noteRefused(int from) {
        int messages = 0;
        for (int i = from; i < outbox.size(); i++) {
            if (outbox.get(i) instanceof Buffer binary) {
                BinaryTopicFrame frame = BinaryTopicFrame.parse(binary);
                if (frame != null) {
                    noteRefused(frame.topic(), frame.epoch(), frame.offset());
                    messages++;
                }
                continue;
            }
            String line = (String) outbox.get(i);
            try { // every line: a node's topic message comes as the node wrote it, in any field order
                JsonObject frame = new JsonObject(line);
                String type = frame.getString("type");
                String topic = frame.getString("topic");
                if ("message".equals(type)) {
                    noteRefused(topic, frame.getString("epoch"), frame.getLong("offset", -1L));
                    messages++;
                } else if ("gap".equals(type) && frame.getBoolean("reset", false)) {
                    noteRefused(topic, RESET_REFUSED);
                } else if ("gap".equals(type)) {
                    noteRefused(topic, frame.getString("epoch"), frame.getLong("from", -1L));
                } // else a reply or a direct: nothing to resume from
            } catch (RuntimeException notTheFrameItSeems) {
                // a node's line forwarded as is, not what it should be: nothing to resume from
            }
        }
        return messages;
    }

    private void noteRefused(String topic, String epoch, long offset) {
        if (epoch != null && offset >= 0 && isFirstRefused(topic)) {
            noteRefused(topic, new SessionState.Position(epoch, offset));
        }
    }

    private void noteRefused(String topic, SessionState.Position first) {
        if (isFirstRefused(topic)) {
            if (refusedFrom == null) {
                refusedFrom = new HashMap<>();
            }
            refusedFrom.put(topic, first);
        }
    }

    /** Patterns resume live; of an exact topic, the first refused is the one that counts. */
    private boolean isFirstRefused(String topic) {
        return topic != null && subscriptions.contains(topic)
                && (refusedFrom == null || !refusedFrom.containsKey(topic));
    }

    /**
     * The last position delivered per exact subscription, moved back to just before what was refused to this browser
     * as a slow consumer, where that is earlier: what a resume recovers from.
     */
    private Map<String, SessionState.Position> positionsToResumeFrom() {
        Map<String, SessionState.Position> positions = positions();
        if (refusedFrom != null) {
            refusedFrom.forEach((topic, first) -> {
                if (recovering != null && recovering.containsKey(topic)) {
                    return; // still recovering: it resumes from what it asked, before anything refused
                }
                if (first == RESET_REFUSED) {
                    positions.put(topic, first); // the node answers recovered:false, and the browser gets its reset
                    return;
                }
                SessionState.Position delivered = positions.get(topic);
                boolean earlier = delivered == null || !delivered.epoch().equals(first.epoch())
                        || delivered.offset() >= first.offset();
                if (first.offset() > 0 && earlier) {
                    positions.put(topic, new SessionState.Position(first.epoch(), first.offset() - 1));
                }
            });
        }
        return positions;
    }

    /**
     * Nanoseconds from the browser's last request (or the link's opening) to {@code nowNanos}. Read off the loop by
     * {@link IdleSessions} to find candidates (a stale value only delays or hastens the check that
     * {@link #closeIfIdle} makes on the loop).
     */
    long quietFor(long nowNanos) {
        return nowNanos - rate.lastRequestNanos();
    }

    /** Closes with 1001 a link whose browser has sent nothing for {@code limitNanos}. On the session's loop. */
    void closeIfIdle(long limitNanos) {
        if (!closed && quietFor(System.nanoTime()) >= limitNanos) {
            close(CloseCode.GOING_AWAY.code(), "idle timeout");
        }
    }

    /** The code this session closed its link with, or 0 when it did not close it. */
    int closeCodeSent() {
        return closedWith;
    }

    /** Closes the browser link with a code; the endpoint's close callback then ends the session. */
    void close(int code, String reason) {
        if (closed) {
            return;
        }
        if (code != CloseCode.SLOW_CONSUMER.code()) {
            flush(); // replies already queued (the errors that led here) go out before the close frame
            if (closed) {
                return; // that flush was refused: closed as a slow consumer, which the close code must say
            }
        }
        closed = true;
        closedWith = code;
        outbox.clear();
        connection.close(new CloseReason(code, reason)).subscribe().with(ok -> {
        }, failure -> LOG.debugf("session %s: close failed: %s", id, failure.getMessage()));
    }

    /**
     * The link is gone. A session whose browser may come back is held for {@code gateway.session.resume-ttl}:
     * its subscriptions are left (their upstream {@code sub} outlives it by the grace period), the cluster is not
     * told yet, and frames for it are held. Otherwise it ends now.
     */
    void ended(int reportedCode) {
        if (!left) {
            left = true;
            budget.leave();
        }
        int code = closedWith != 0 ? closedWith : reportedCode;
        closed = true;
        outbox.clear();
        if (handedOver) {
            return;
        }
        cancelTimer();
        if (!stateHeld) { // a held state never joined the shard: its positions are the predecessor's
            // before leaving: the shard forgets a topic its last subscriber left
            positionsAtDetach = positionsToResumeFrom();
            subscriptions.forEach(this::leaveShard); // the list stays, for a successor
        }
        // a recovery still in flight is asked again by the resume, from positionsAtDetach: its answer, were it
        // taken now, would be held as if it were a direct and come twice
        recovering = null;
        heldForRecovery = 0;
        if (warmup || !resumable(code)) { // nobody comes back for a warm-up link, however it ended
            if (!end(code)) {
                detached = true; // a resumed successor is taking over: it gets the state as from a held session
                forwardKick(); // and the kick with it
            }
            return;
        }
        detached = true;
        timer = services.vertx().setTimer(services.config().session().resumeTtl().toMillis(),
                t -> shard.enqueue((Runnable) () -> {
                    if (!handedOver) {
                        end(code);
                    }
                }));
    }

    /**
     * Ends the session for good: the cluster is told. False, and nothing done, when a resumed successor took its
     * place in the registry meanwhile (its resume window closing as the browser came back): the successor's
     * hand-over, on its way to this loop, takes the state, and the session lives on.
     */
    private boolean end(int code) {
        if (!services.registry().remove(this)) {
            return false;
        }
        detached = false;
        handedOver = true;
        if (!warmup) { // the cluster never heard of a warm-up link
            services.pool().sessionClosed(id, code, link);
        }
        return true;
    }

    /**
     * Closed by the gateway with a code the browser resumes after, and not ended yet: a 4002 link that no longer
     * reads stays open until the idle timeout cuts it. Directs and acks for it are held as for a link already lost.
     */
    private boolean closingForResume() {
        return closed && closedWith != 0 && !warmup && resumable(closedWith);
    }

    /** A browser that closed normally, or was refused for good, does not come back for this session. */
    private static boolean resumable(int code) {
        return code != CloseCode.NORMAL.code() && code != CloseCode.POLICY_VIOLATION.code()
                && code != CloseCode.MESSAGE_TOO_BIG.code() && code != CloseCode.TOKEN_EXPIRED.code()
                && (code < 4000 || code == CloseCode.SLOW_CONSUMER.code());
    }

    private void hold(String line) {
        if (held.size() >= services.config().session().heldFrames()) {
            held.remove(0);
            heldDropped++;
            services.metrics().dropped("held_overflow", 1);
        }
        held.add(line);
    }

    /**
     * The held frames, in arrival order, after an error that says how many were dropped past the bound (when any
     * were): a resumed browser learns that directs or acks went missing instead of finding a silent hole. Empties the
     * held frames.
     */
    private List<String> takeHeld() {
        List<String> frames = new ArrayList<>(held.size() + 1);
        if (heldDropped > 0) {
            frames.add(errorFrame(null, ErrorCode.HELD_FRAMES_DROPPED.wireName(), heldDropped
                    + " direct(s) or ack(s) that came while the link was down were dropped, oldest first"
                    + " (gateway.session.held-frames)"));
        }
        frames.addAll(held);
        held.clear();
        heldDropped = 0;
        return frames;
    }

    private void cancelTimer() {
        if (timer >= 0) {
            services.vertx().cancelTimer(timer);
            timer = -1;
        }
    }
}
