package io.edgegw.fanout;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link FanoutListener} for shard tests: counts what the shard dropped, ignores the rest. Any thread. */
final class ShedCountingListener implements FanoutListener {

    final AtomicLong shed = new AtomicLong();

    @Override
    public void delivered(long deliveries, List<TopicDelivery> messages) {
    }

    @Override
    public void ignoredBySession(long count) {
    }

    @Override
    public void shed(long count) {
        shed.addAndGet(count);
    }
}
