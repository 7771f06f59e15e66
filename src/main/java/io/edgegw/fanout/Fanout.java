package io.edgegw.fanout;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgegw.config.GatewayConfig;
import io.edgegw.observe.GatewayMetrics;
import io.quarkus.runtime.Startup;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Entry point of topic messages into the fan-out: applies the global ignore list once per message, then hands the
 * message to every event loop's {@link FanoutShard}. Shards are created lazily, one per event loop thread that
 * hosts browser sessions.
 */
@ApplicationScoped
@Startup // its gauge is in the scrape from the start, before the first browser or message
public class Fanout implements TopicSink {

    private final Map<Thread, FanoutShard> shardsByThread = new ConcurrentHashMap<>();
    private volatile FanoutShard[] shards = new FanoutShard[0];
    private final GlobalIgnore globalIgnore;
    private final GatewayMetrics metrics;
    private final DrainPacing pacing;
    private final long maxBacklogBytes;

    public Fanout(GlobalIgnore globalIgnore, GatewayMetrics metrics, GatewayConfig config) {
        this.metrics = metrics;
        this.globalIgnore = globalIgnore;
        this.pacing = DrainPacing.of(config.fanout().pacing(), config.fanout().pacingThreshold(),
                config.fanout().pacingMaxKeepingUp(), config.fanout().pacingMax());
        this.maxBacklogBytes = config.fanout().maxBacklogBytes();
        if (maxBacklogBytes <= 0) {
            throw new IllegalArgumentException("gateway.fanout.max-backlog-bytes must be more than 0: "
                    + maxBacklogBytes);
        }
        metrics.gauge("gateway_fanout_backlog_bytes",
                "Largest weight of topic messages queued on one event loop for its fan-out and not yet drained", this,
                Fanout::largestBacklogBytes);
    }

    /** The largest {@link FanoutShard#backlogBytes()}: the one to compare with the bound, which is per loop. */
    long largestBacklogBytes() {
        long largest = 0;
        for (FanoutShard shard : shards) {
            largest = Math.max(largest, shard.backlogBytes());
        }
        return largest;
    }

    /** The shard of the calling event loop; must be called on an event loop thread. */
    public FanoutShard shardOfCurrentLoop() {
        Thread thread = Thread.currentThread();
        FanoutShard shard = shardsByThread.get(thread);
        if (shard == null) {
            Context context = Vertx.currentContext();
            if (context == null || !Context.isOnEventLoopThread()) {
                throw new IllegalStateException("not on an event loop: " + thread.getName());
            }
            shard = new FanoutShard(context, metrics, pacing, maxBacklogBytes);
            synchronized (this) { // rare: once per event loop for the life of the process
                shardsByThread.put(thread, shard);
                shards = shardsByThread.values().toArray(new FanoutShard[0]);
            }
        }
        return shard;
    }

    @Override
    public boolean publish(TopicDelivery delivery) {
        if (globalIgnore.current().matches(delivery.topic())) {
            metrics.ignoredGlobal();
            return false;
        }
        for (FanoutShard shard : shards) {
            shard.enqueue(delivery);
        }
        return true;
    }

    @Override
    public void publishControl(TopicDelivery control) {
        if (globalIgnore.current().matches(control.topic())) {
            return; // a gap about messages nobody here would have been given (not a message: not counted)
        }
        for (FanoutShard shard : shards) {
            shard.enqueue(control);
        }
    }

    @Override
    public void publishPosition(String topic, String epoch, long offset) {
        for (FanoutShard shard : shards) { // in each loop's queue, behind the messages up to it
            shard.enqueue((Runnable) () -> shard.notePosition(topic, epoch, offset));
        }
    }
}
