package io.edgegw.client;

import java.util.ArrayList;
import java.util.List;

import io.edgegw.fanout.TopicDelivery;

/**
 * An exact topic a session subscribed to with {@code since}, while what it missed is on its way: what arrives live
 * meanwhile (messages and gaps) is held, then released after the replay, each message once and no gap for what the
 * replay delivered. Confined to the session's loop.
 */
final class TopicRecovery {

    final long request;
    final String epoch;
    final long since;
    private List<TopicDelivery> held = new ArrayList<>();
    /** Chars (bytes for binary frames) of what is held: the browser's pending bytes once released. */
    private long heldSize;
    /** Live topic messages handed over to be held, compacted ones included: the fan-out counted them delivered. */
    private long handedOver;

    TopicRecovery(long request, String epoch, long since) {
        this.request = request;
        this.epoch = epoch;
        this.since = since;
    }

    /** Holds a live message or gap; returns by how much that grew what is held. */
    long hold(TopicDelivery live) {
        held.add(live);
        if (!live.isControl()) {
            handedOver++;
        }
        heldSize += live.payloadLength();
        return live.payloadLength();
    }

    /**
     * Keeps what is held as the ranges it spans instead (a gap per run of one epoch; resets stay), when it has grown
     * past what the browser may have pending: the replay normally brings those messages again, and release cuts each
     * held gap to what the replay did not deliver, so the browser loses only what the replay cannot give, and is told
     * of it. Returns by how much that shrank what is held (zero or less).
     */
    long compact() {
        List<TopicDelivery> ranges = new ArrayList<>();
        long size = 0;
        for (TopicDelivery live : held) {
            TopicDelivery.Gap range = live.isControl() ? live.gap()
                    : new TopicDelivery.Gap(live.epoch(), live.offset(), live.offset());
            TopicDelivery last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (range != null && last != null && last.gap() != null && last.gap().epoch().equals(range.epoch())) {
                range = new TopicDelivery.Gap(range.epoch(), Math.min(last.gap().from(), range.from()),
                        Math.max(last.gap().to(), range.to()));
                size -= last.payloadLength();
                ranges.remove(ranges.size() - 1);
            }
            TopicDelivery kept = range == null ? live : TopicDelivery.gap(live.topic(), range, live.receivedNanos());
            ranges.add(kept);
            size += kept.payloadLength();
        }
        long shrunk = size - heldSize;
        held = ranges;
        heldSize = size;
        return shrunk;
    }

    /** Chars (bytes for binary frames) of what is held. */
    long heldSize() {
        return heldSize;
    }

    /** What is held, in arrival order, without a replay before it (the recovery was called off). */
    List<TopicDelivery> heldInOrder() {
        return List.copyOf(held);
    }

    /** The lowest offset of this epoch that a held message or gap starts at; {@code Long.MAX_VALUE} when none. */
    private long firstHeldOffset() {
        for (TopicDelivery live : held) {
            if (!live.isControl() && live.epoch().equals(epoch)) {
                return live.offset();
            }
            if (live.isControl() && live.gap() != null && live.gap().epoch().equals(epoch)) {
                return live.gap().from();
            }
        }
        return Long.MAX_VALUE;
    }

    /** Live topic messages handed over to be held so far (the fan-out counted each as delivered). */
    long handedOver() {
        return handedOver;
    }

    /** Asked again: what the earlier question held is still to be released, after the new replay. */
    void takeOver(TopicRecovery replaced) {
        held.addAll(0, replaced.held);
        heldSize += replaced.heldSize;
        handedOver += replaced.handedOver;
    }

    /**
     * What to deliver, in order: the answer's {@code gap} if any (what could not be replayed), cut short of the first
     * held message of its epoch (live messages the gateway has are not lost), the replay after {@code since} (in
     * this epoch), then what was held, without the messages the replay already had, and with each held gap cut to
     * what the replay did not deliver.
     */
    List<TopicDelivery> release(TopicDelivery gap, List<TopicDelivery> replay) {
        List<TopicDelivery> out = new ArrayList<>(1 + replay.size() + held.size());
        long last = since;
        if (gap != null) {
            TopicDelivery.Gap range = gap.gap();
            if (range == null || !range.epoch().equals(epoch)) {
                out.add(gap);
            } else {
                long to = Math.min(range.to(), firstHeldOffset() - 1);
                if (to >= range.from()) {
                    out.add(to == range.to() ? gap : TopicDelivery.gap(gap.topic(),
                            new TopicDelivery.Gap(epoch, range.from(), to), gap.receivedNanos()));
                    last = Math.max(last, to);
                }
            }
        }
        for (TopicDelivery message : replay) {
            if (message.epoch().equals(epoch) && message.offset() > last) {
                out.add(message);
                last = message.offset();
            }
        }
        for (TopicDelivery live : held) {
            if (!live.isControl()) {
                if (!live.epoch().equals(epoch) || live.offset() > last) {
                    out.add(live);
                }
                continue;
            }
            TopicDelivery.Gap range = live.gap();
            if (range == null || !range.epoch().equals(epoch) || range.from() > last) {
                out.add(live); // a reset, another epoch, or all of it after the replay
            } else if (range.to() > last) {
                out.add(TopicDelivery.gap(live.topic(), new TopicDelivery.Gap(epoch, last + 1, range.to()),
                        live.receivedNanos()));
            } // else the replay delivered every message the gap speaks of
        }
        return out;
    }
}
