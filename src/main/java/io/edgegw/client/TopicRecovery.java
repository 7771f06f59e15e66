package io.edgegw.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
    /** Held messages kept only as ranges since, and those ranges: what a replay must bring back. */
    private long compactedMessages;
    private List<TopicDelivery.Gap> compactedRanges = List.of();
    /** Of {@link #compactedMessages}, those the last {@link #release} did not bring back from the replay. */
    private long lostToCompaction;

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
     * of it.
     */
    void compact() {
        List<TopicDelivery> ranges = new ArrayList<>();
        long size = 0;
        for (TopicDelivery live : held) {
            if (!live.isControl()) {
                compactedMessages++;
            }
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
        held = ranges;
        heldSize = size;
        compactedRanges = ranges.stream().map(TopicDelivery::gap).filter(Objects::nonNull).toList();
    }

    /** Held messages kept only as ranges: lost to the browser unless a replay brings them back. */
    long compactedMessages() {
        return compactedMessages;
    }

    /** Compacted messages the last {@link #release} did not bring back from its replay (they went out as gaps). */
    long lostToCompaction() {
        return lostToCompaction;
    }

    private boolean inCompactedRange(TopicDelivery message) {
        for (TopicDelivery.Gap range : compactedRanges) {
            if (range.epoch().equals(message.epoch()) && range.from() <= message.offset()
                    && message.offset() <= range.to()) {
                return true;
            }
        }
        return false;
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

    /** Asked again (right after this one was made): what the earlier question held is still to be released. */
    void takeOver(TopicRecovery replaced) {
        held.addAll(replaced.held);
        heldSize += replaced.heldSize;
        handedOver += replaced.handedOver;
        compactedMessages += replaced.compactedMessages;
        compactedRanges = replaced.compactedRanges;
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
        long refilled = 0;
        for (TopicDelivery message : replay) {
            if (message.epoch().equals(epoch) && message.offset() > last) {
                out.add(message);
                last = message.offset();
                if (compactedMessages > 0 && inCompactedRange(message)) {
                    refilled++;
                }
            }
        }
        lostToCompaction = Math.max(0, compactedMessages - refilled);
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
