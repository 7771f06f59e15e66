package io.edgegw.demo;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A reference cluster: {@code n} {@link ReferenceNode}s (ids {@code n0..n<n-1>}) sharing one {@link SharedLog}, so
 * that every node gives a message the same (epoch, offset), and one send deduplicator, so that a send repeated on
 * another node after a move is not acted on twice.
 * <p>
 * {@link #start} and {@link #close} block until the nodes listen or have stopped: call them from a test or main
 * thread, never from an event loop. Publishing is thread-safe.
 */
public final class ReferenceCluster implements AutoCloseable {

    static final long WAIT_SECONDS = 15;

    private final SharedLog log;
    private final List<ReferenceNode> nodes;
    /** Appending and handing an entry to the nodes happen together, so every connection sees a topic in order. */
    private final Object publishOrder = new Object();

    private ReferenceCluster(SharedLog log, List<ReferenceNode> nodes) {
        this.log = log;
        this.nodes = List.copyOf(nodes);
    }

    /** Starts {@code nodeCount} nodes on random ports, without a token; returns once all listen. */
    public static ReferenceCluster start(Vertx vertx, int nodeCount, int historySize) {
        return start(vertx, nodeCount, historySize, 0, null);
    }

    /** Starts nodes on ports {@code basePort..basePort+nodeCount-1} (0 = random); {@code token} null = accept any. */
    public static ReferenceCluster start(Vertx vertx, int nodeCount, int historySize, int basePort, String token) {
        if (nodeCount < 1) {
            throw new IllegalArgumentException("nodeCount must be >= 1");
        }
        requireBlockingAllowed();
        SharedLog log = new SharedLog(historySize);
        ReferenceNode.Options defaults = new ReferenceNode.Options();
        SendDeduplicator deduplicator = new SendDeduplicator(defaults.dedupWindowMillis);
        List<ReferenceNode> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            ReferenceNode.Options options = new ReferenceNode.Options()
                    .nodeId("n" + i)
                    .port(basePort == 0 ? 0 : basePort + i)
                    .token(token);
            nodes.add(new ReferenceNode(vertx, log, options, deduplicator));
        }
        ReferenceCluster cluster = new ReferenceCluster(log, nodes);
        nodes.forEach(node -> node.publishThrough(cluster::publish));
        try {
            await(Future.all(nodes.stream().map(ReferenceNode::start).toList()));
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public List<ReferenceNode> nodes() {
        return nodes;
    }

    public ReferenceNode node(int index) {
        return nodes.get(index);
    }

    /** The nodes' URLs, comma-separated in node order: the value for {@code gateway.upstream.nodes}. */
    public String nodeUrls() {
        return nodes.stream().map(ReferenceNode::url).collect(Collectors.joining(","));
    }

    public SharedLog log() {
        return log;
    }

    /** Appends to the shared log, then every node delivers the entry to its matching connections. */
    public SharedLog.Entry publish(String topic, String dataJson) {
        synchronized (publishOrder) {
            SharedLog.Entry entry = log.append(topic, dataJson);
            nodes.forEach(node -> node.publish(entry));
            return entry;
        }
    }

    public SharedLog.Entry publishBinary(String topic, byte[] payload) {
        synchronized (publishOrder) {
            SharedLog.Entry entry = log.appendBinary(topic, payload);
            nodes.forEach(node -> node.publish(entry));
            return entry;
        }
    }

    /** Stops every node (gateways see 1001) and waits until they have stopped. */
    @Override
    public void close() {
        requireBlockingAllowed();
        await(Future.join(nodes.stream().map(ReferenceNode::stop).toList()));
    }

    private static void requireBlockingAllowed() {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("the reference cluster blocks: start and close it off the event loop");
        }
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out after " + WAIT_SECONDS + " s", e);
        }
    }
}
