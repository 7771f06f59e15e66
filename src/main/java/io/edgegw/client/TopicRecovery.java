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
    private final List<TopicDelivery> held = new ArrayList<>();
    /** Chars (bytes for binary frames) of what is held: the browser's pending bytes once released. */
    private long heldSize;

    TopicRecovery(long request, String epoch, long since) {
        this.request = request;
        this.epoch = epoch;
        this.since = since;
    }

    /** Holds a live message or gap; returns the size of all that is held now. */
    long hold(TopicDelivery live) {
        held.add(live);
        heldSize += live.payloadLength();
        return heldSize;
    }

    /** Forgets what is held (the link is closing); returns how many live topic messages that was. */
    long dropHeld() {
        long messages = heldMessages();
        held.clear();
        heldSize = 0;
        return messages;
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

    /** Live topic messages held so far (gaps not counted). */
    long heldMessages() {
        return held.stream().filter(delivery -> !delivery.isControl()).count();
    }

    /** Asked again: what the earlier question held is still to be released, after the new replay. */
    void takeOver(TopicRecovery replaced) {
        held.addAll(replaced.held);
        heldSize += replaced.heldSize;
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
