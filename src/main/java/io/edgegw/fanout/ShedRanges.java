package io.edgegw.fanout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The topic messages an overloaded {@link FanoutShard} dropped, as one range of offsets per topic and epoch, until
 * the shard tells their subscribers with a {@code gap} frame each. Confined to the shard's loop.
 */
final class ShedRanges {

    private static final class Range {
        final String topic;
        final String epoch;
        final long from;
        long to;
        /** When the first message of the range arrived: a gap's latency is that of what it stands for. */
        final long receivedNanos;

        Range(TopicDelivery first) {
            this.topic = first.topic();
            this.epoch = first.epoch();
            this.from = first.offset();
            this.to = first.offset();
            this.receivedNanos = first.receivedNanos();
        }
    }

    private final List<Range> ranges = new ArrayList<>();
    private final Map<String, Range> latestByTopic = new HashMap<>();

    /** Records a dropped message; a new epoch of its topic starts a new range. */
    void add(TopicDelivery dropped) {
        Range latest = latestByTopic.get(dropped.topic());
        if (latest != null && latest.epoch.equals(dropped.epoch())) {
            latest.to = Math.max(latest.to, dropped.offset());
            return;
        }
        Range range = new Range(dropped);
        ranges.add(range);
        latestByTopic.put(dropped.topic(), range);
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** A {@code gap} frame per range, in the order the ranges began, and forgets them. */
    List<TopicDelivery> takeGaps() {
        List<TopicDelivery> gaps = new ArrayList<>(ranges.size());
        for (Range range : ranges) {
            gaps.add(TopicDelivery.gap(range.topic, new TopicDelivery.Gap(range.epoch, range.from, range.to),
                    range.receivedNanos));
        }
        ranges.clear();
        latestByTopic.clear();
        return gaps;
    }
}
