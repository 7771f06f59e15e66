package io.edgegw.fanout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgegw.config.GatewayConfig;
import io.edgegw.observe.GatewayMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Entry point of topic messages into the fan-out: applies the global ignore list once per message, then hands the
 * message to every event loop's {@link FanoutShard}. Shards are created lazily, one per event loop thread that
 * hosts browser sessions.
 */
@ApplicationScoped
public class Fanout {

    private final Map<Thread, FanoutShard> shardsByThread = new ConcurrentHashMap<>();
    private volatile FanoutShard[] shards = new FanoutShard[0];
    private volatile IgnoreList globalIgnore;
    private final GatewayMetrics metrics;

    public Fanout(GatewayConfig config, GatewayMetrics metrics) {
        this.metrics = metrics;
        this.globalIgnore = IgnoreList.of(config.fanout().ignore().orElse(List.of()));
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
            shard = new FanoutShard(context, metrics);
            synchronized (this) { // rare: once per event loop for the life of the process
                shardsByThread.put(thread, shard);
                shards = shardsByThread.values().toArray(new FanoutShard[0]);
            }
        }
        return shard;
    }

    /** A topic message from upstream (a JSON line or a binary frame), on the upstream loop. */
    public void publish(String topic, Object payload, long receivedNanos) {
        if (globalIgnore.matches(topic)) {
            metrics.ignoredGlobal();
            return;
        }
        TopicDelivery delivery = new TopicDelivery(topic, payload, receivedNanos);
        for (FanoutShard shard : shards) {
            shard.enqueue(delivery);
        }
    }

    /** A frame about a topic that every subscriber must see, such as a {@code gap}; not subject to ignore lists. */
    public void publishControl(String topic, String line) {
        TopicDelivery delivery = new TopicDelivery(topic, line, System.nanoTime());
        for (FanoutShard shard : shards) {
            shard.enqueue(delivery);
        }
    }

    public IgnoreList globalIgnore() {
        return globalIgnore;
    }

    public void setGlobalIgnore(IgnoreList list) {
        globalIgnore = list;
    }
}
