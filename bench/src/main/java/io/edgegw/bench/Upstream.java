package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.util.concurrent.TimeUnit;

/**
 * The publishing side of one run, on its own Vert.x instance with a single event loop (publisher, bench nodes, TCP
 * cuts, NATS publisher connection), separate from the clients' loops. For the gateway it is the upstream cluster;
 * for the peer, a NATS connection.
 */
final class Upstream implements AutoCloseable {

    final Vertx vertx;
    final Context context;
    final BenchCluster cluster;
    private NatsPublisher nats;
    private Publisher publisher;
    private final int topics;

    private Upstream(int topics, BenchCluster cluster, Vertx vertx, Context context) {
        this.topics = topics;
        this.cluster = cluster;
        this.vertx = vertx;
        this.context = context;
        if (cluster != null) {
            publisher = new Publisher(vertx, context, cluster, topics);
        }
    }

    /** For the gateway: {@code nodes} bench nodes sharing a log, optionally behind TCP cuts. */
    static Upstream cluster(int topics, int nodes, boolean behindCuts, int history) {
        Vertx vertx = newVertx();
        Context context = vertx.getOrCreateContext();
        BenchCluster cluster = new BenchCluster(vertx, context, nodes, behindCuts, topics, history);
        return new Upstream(topics, cluster, vertx, context);
    }

    /** For the peer: call {@link #connectNats} once the server listens. */
    static Upstream forNats(int topics) {
        Vertx vertx = newVertx();
        return new Upstream(topics, null, vertx, vertx.getOrCreateContext());
    }

    private static Vertx newVertx() {
        return Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setMaxEventLoopExecuteTime(10).setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
    }

    void connectNats(int port) {
        nats = NatsPublisher.connect(vertx, context, port, topics);
        publisher = new Publisher(vertx, context, nats, topics);
    }

    Publisher publisher() {
        return publisher;
    }

    /** Index of the node whose connection carries topic 0's {@code sub}, or -1. */
    int activeNode() {
        java.util.concurrent.CompletableFuture<Integer> found = new java.util.concurrent.CompletableFuture<>();
        context.runOnContext(v -> {
            for (int i = 0; i < cluster.nodes.size(); i++) {
                if (cluster.nodes.get(i).serves(0)) {
                    found.complete(i);
                    return;
                }
            }
            found.complete(-1);
        });
        return found.join();
    }

    @Override
    public void close() {
        if (nats != null) {
            context.runOnContext(v -> nats.close());
        }
        if (cluster != null) {
            cluster.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
    }
}
