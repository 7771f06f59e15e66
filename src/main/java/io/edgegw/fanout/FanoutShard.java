package io.edgegw.fanout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Context;

/**
 * The subscribers that live on one event loop, and that loop's topic index. Everything here but
 * {@link #enqueue(Object)} is confined to the loop's thread, so the index needs no locks.
 * <p>
 * Upstream loops {@link #enqueue(Object) enqueue} topic deliveries and session actions; the shard drains all that
 * is queued in one task, appends each message to its subscribers and then flushes every touched subscriber once,
 * so whatever one task brings for a browser leaves as one frame. Batches grow by themselves when the loop falls
 * behind.
 * <p>
 * The queue is bounded by the weight of the topic messages in it: when a drain finds more than
 * {@code maxBacklogBytes} queued (the loop cannot keep up with what the cluster publishes), it drops the oldest
 * topic messages until half that is left and tells their subscribers with a {@code gap} frame per topic, in place
 * of the messages. Session actions and control frames are never dropped, and keep their order.
 */
public final class FanoutShard {

    private static final Subscriber[] NONE = new Subscriber[0];
    private static final int MAX_RESOLVED = 65_536;
    /**
     * What one drain takes from the queue at most. A loop far behind would otherwise take everything at once and
     * give every subscriber a frame of all of it: memory in proportion to backlog times subscribers, frames too
     * large for browsers, and a collapse instead of a plateau when the gateway is overloaded.
     */
    static final int MAX_ITEMS_PER_DRAIN = 256;
    static final long MAX_BYTES_PER_DRAIN = 32 * 1024;
    /** What a queued message weighs beyond its payload: the delivery, the queue node, the string's header. */
    static final int QUEUED_OVERHEAD_BYTES = 96;

    private final Context context;
    private final FanoutListener listener;
    private final DrainPacing pacing;
    /** While paced: the next drain waits until then ({@link System#nanoTime()}); a timer is set for it. */
    private long pausedUntil;
    private boolean pauseTimerSet;
    /** The longest pause for now: adapts to whether this loop keeps up ({@link DrainPacing#nextCap}). */
    private long pauseCap;
    private final Queue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final long maxBacklogBytes;
    /** Weight of the topic messages queued: added by the enqueuing thread, taken off on this loop. */
    private final AtomicLong backlogBytes = new AtomicLong();
    private final ShedRanges shed = new ShedRanges();

    private final Map<String, Set<Subscriber>> exact = new HashMap<>();
    private final Map<String, PatternSubscribers> patterns = new LinkedHashMap<>();
    /** Resolved subscribers per topic, valid until the next subscription change. */
    private final Map<String, Subscriber[]> resolved = new HashMap<>();
    private final List<Subscriber> touched = new ArrayList<>();
    private final List<TopicDelivery> drained = new ArrayList<>();
    private final BatchJoiner joiner = new BatchJoiner();
    /** The last message handed out per exact topic: every local subscriber's position, tracked once per message. */
    private final Map<String, TopicDelivery> lastDelivered = new HashMap<>();

    public FanoutShard(Context context, FanoutListener listener, DrainPacing pacing, long maxBacklogBytes) {
        this.context = context;
        this.listener = listener;
        this.pacing = pacing;
        this.maxBacklogBytes = maxBacklogBytes;
        this.pausedUntil = System.nanoTime(); // not 0: nanoTime may be negative
        this.pauseCap = pacing.initialCapNanos();
    }

    public Context context() {
        return context;
    }

    /** Shared by the subscribers of this loop to build their frames; loop-confined. */
    public BatchJoiner joiner() {
        return joiner;
    }

    /** Any thread: queue a {@link TopicDelivery} or a {@link Runnable} (a session action) in arrival order. */
    public void enqueue(Object item) {
        if (item instanceof TopicDelivery delivery) {
            backlogBytes.addAndGet(weight(delivery));
        }
        inbox.add(item);
        if (drainScheduled.compareAndSet(false, true)) {
            context.runOnContext(ignored -> drain());
        }
    }

    /** Weight of the topic messages queued and not yet drained; any thread (a gauge reads it). */
    public long backlogBytes() {
        return backlogBytes.get();
    }

    private static long weight(TopicDelivery delivery) {
        return delivery.payloadLength() + QUEUED_OVERHEAD_BYTES;
    }

    /** Adds a subscription; true when it is the first on this shard for that topic or pattern. */
    public boolean subscribe(String topicOrPattern, Subscriber subscriber) {
        TopicPattern pattern = TopicPattern.parse(topicOrPattern);
        resolved.clear();
        if (pattern.isExact()) {
            Set<Subscriber> set = exact.computeIfAbsent(topicOrPattern, t -> new LinkedHashSet<>());
            set.add(subscriber);
            return set.size() == 1;
        }
        PatternSubscribers entry = patterns.computeIfAbsent(topicOrPattern, p -> new PatternSubscribers(pattern));
        entry.subscribers.add(subscriber);
        return entry.subscribers.size() == 1;
    }

    /** Removes a subscription; true when it was the last on this shard for that topic or pattern. */
    public boolean unsubscribe(String topicOrPattern, Subscriber subscriber) {
        resolved.clear();
        Set<Subscriber> set = exact.get(topicOrPattern);
        if (set != null) {
            boolean last = set.remove(subscriber) && set.isEmpty();
            if (set.isEmpty()) {
                exact.remove(topicOrPattern);
                lastDelivered.remove(topicOrPattern);
            }
            return last;
        }
        PatternSubscribers entry = patterns.get(topicOrPattern);
        if (entry != null) {
            boolean last = entry.subscribers.remove(subscriber) && entry.subscribers.isEmpty();
            if (entry.subscribers.isEmpty()) {
                patterns.remove(topicOrPattern);
            }
            return last;
        }
        return false;
    }

    /**
     * The last message of an exact topic handed to this shard's subscribers, or the gateway's position in the topic
     * noted after it ({@link #notePosition}), or null: the position of each of them, except a subscriber still
     * recovering that topic (it holds live messages back) or one that subscribed after it (which then missed nothing
     * before it).
     */
    public TopicDelivery lastDelivered(String topic) {
        return lastDelivered.get(topic);
    }

    /**
     * The gateway's position in an exact topic, queued behind every message up to it: where this shard's subscribers
     * stand when no message came since they joined (a node's {@code subscribed} head). Only ever moves forward, or to
     * a newer epoch; no frame for anyone.
     */
    void notePosition(String topic, String epoch, long offset) {
        if (!exact.containsKey(topic)) {
            return;
        }
        TopicDelivery last = lastDelivered.get(topic);
        if (last == null || !last.epoch().equals(epoch) || last.offset() < offset) {
            lastDelivered.put(topic, TopicDelivery.position(topic, epoch, offset));
        }
    }

    /** Marks a subscriber to be flushed by the next {@link #flushTouched()}. */
    public void touched(Subscriber subscriber) {
        touched.add(subscriber);
    }

    /** Flushes every subscriber that got something since the last call. */
    public void flushTouched() {
        for (int i = 0; i < touched.size(); i++) {
            touched.get(i).flush();
        }
        touched.clear();
    }

    private void drain() {
        long start = System.nanoTime();
        if (start - pausedUntil < 0) {
            // paced: drainScheduled stays set, so arrivals queue up without scheduling; the timer drains them all
            if (!pauseTimerSet) {
                pauseTimerSet = true;
                context.owner().setTimer(Math.max(1, (pausedUntil - start + 999_999) / 1_000_000), id -> {
                    pauseTimerSet = false;
                    drain();
                });
            }
            return;
        }
        drainScheduled.set(false);
        long delivered = 0; // frame lines handed to subscribers, gaps included: what pacing weighs
        long messagesDelivered = 0; // topic messages alone: what the metric counts
        if (backlogBytes.get() > maxBacklogBytes) {
            delivered += shedOldest();
        }
        int items = 0;
        long bytes = 0;
        long taken = 0;
        Object item;
        try {
            while (items < MAX_ITEMS_PER_DRAIN && bytes < MAX_BYTES_PER_DRAIN && (item = inbox.poll()) != null) {
                items++;
                if (item instanceof TopicDelivery delivery) {
                    taken += weight(delivery);
                    long handed = deliver(delivery);
                    delivered += handed;
                    if (!delivery.isControl()) {
                        messagesDelivered += handed;
                    }
                    bytes += delivery.payloadLength();
                } else {
                    ((Runnable) item).run();
                }
            }
        } finally {
            backlogBytes.addAndGet(-taken); // once per drain, not per message
        }
        int frames = touched.size();
        flushTouched();
        if (!drained.isEmpty()) {
            listener.delivered(messagesDelivered, drained);
            drained.clear();
        }
        boolean stoppedAtBound = items >= MAX_ITEMS_PER_DRAIN || bytes >= MAX_BYTES_PER_DRAIN;
        boolean fallingBehind = stoppedAtBound && !inbox.isEmpty();
        pauseCap = pacing.nextCap(pauseCap, fallingBehind);
        long now = System.nanoTime();
        pausedUntil = now + pacing.pauseAfter(now - start, delivered, frames, pauseCap);
        if (!inbox.isEmpty() && drainScheduled.compareAndSet(false, true)) {
            context.runOnContext(ignored -> drain()); // the rest in another task: other work on this loop goes first
        }
    }

    /**
     * Drops the oldest topic messages until half of {@code maxBacklogBytes} is left. Session actions and control
     * frames met on the way run or go out as usual, each after the gaps of what was dropped before it, so every
     * subscriber sees the same order as without the drop. Returns the deliveries made meanwhile.
     */
    private long shedOldest() {
        long delivered = 0;
        long dropped = 0;
        Object item;
        try {
            while (backlogBytes.get() > maxBacklogBytes / 2 && (item = inbox.poll()) != null) {
                if (item instanceof TopicDelivery delivery) {
                    backlogBytes.addAndGet(-weight(delivery));
                    if (!delivery.isControl()) {
                        dropped += drop(delivery) ? 1 : 0;
                        continue;
                    }
                }
                delivered += sendGaps();
                if (item instanceof TopicDelivery control) {
                    delivered += deliver(control);
                } else {
                    ((Runnable) item).run();
                }
            }
        } finally { // a session action that throws must not keep the gaps of what was dropped before it
            delivered += sendGaps();
            if (dropped > 0) {
                listener.shed(dropped);
            }
        }
        return delivered;
    }

    /**
     * Records a dropped message for its gap; false when nobody here would have had it. It moves its subscribers'
     * position past it, as the gap frame about it will.
     */
    private boolean drop(TopicDelivery delivery) {
        if (resolve(delivery.topic()).length == 0) {
            return false;
        }
        shed.add(delivery);
        if (exact.containsKey(delivery.topic())) {
            lastDelivered.put(delivery.topic(), delivery);
        }
        return true;
    }

    private long sendGaps() {
        if (shed.isEmpty()) {
            return 0;
        }
        long delivered = 0;
        for (TopicDelivery gap : shed.takeGaps()) {
            delivered += deliver(gap);
        }
        return delivered;
    }

    private long deliver(TopicDelivery delivery) {
        Subscriber[] subscribers = resolve(delivery.topic());
        long delivered = 0;
        long ignored = 0;
        for (Subscriber subscriber : subscribers) {
            if (subscriber.ignores(delivery.topic())) {
                ignored++;
            } else if (subscriber.deliver(delivery)) {
                delivered++;
            }
        }
        if (ignored > 0) {
            listener.ignoredBySession(ignored);
        }
        if (subscribers.length > 0) {
            drained.add(delivery);
            if (!delivery.isControl() && exact.containsKey(delivery.topic())) {
                lastDelivered.put(delivery.topic(), delivery);
            }
        }
        return delivered;
    }

    private Subscriber[] resolve(String topic) {
        if (resolved.size() > MAX_RESOLVED) {
            resolved.clear(); // topics seen through patterns are unbounded: keep the cache from growing with them
        }
        if (patterns.isEmpty()) {
            Subscriber[] cached = resolved.get(topic);
            if (cached == null) {
                Set<Subscriber> set = exact.get(topic);
                cached = set == null ? NONE : set.toArray(NONE);
                resolved.put(topic, cached);
            }
            return cached;
        }
        return resolved.computeIfAbsent(topic, this::union);
    }

    /** Each subscriber once, however many of its subscriptions match: at most one delivery per session. */
    private Subscriber[] union(String topic) {
        Set<Subscriber> all = new LinkedHashSet<>(exact.getOrDefault(topic, Set.of()));
        for (PatternSubscribers entry : patterns.values()) {
            if (entry.pattern.matches(topic)) {
                all.addAll(entry.subscribers);
            }
        }
        return all.toArray(NONE);
    }

    private static final class PatternSubscribers {
        final TopicPattern pattern;
        final Set<Subscriber> subscribers = new LinkedHashSet<>();

        PatternSubscribers(TopicPattern pattern) {
            this.pattern = pattern;
        }
    }
}
