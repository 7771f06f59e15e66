package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's upstream for the benchmark: {@code n} {@link BenchNode}s sharing one {@link BenchLog}, each
 * optionally behind a {@link TcpCut} (for the failover scenario). The publisher's sink: a message becomes one line,
 * {@code {"type":"message","topic":..,"epoch":..,"offset":<seq>,"data":<payload>}}, appended to the log and queued
 * on every subscribed connection; a flush writes each connection's lines as one frame.
 */
final class BenchCluster implements Publisher.Sink {

    final BenchLog log;
    final List<BenchNode> nodes = new ArrayList<>();
    final List<TcpCut> cuts = new ArrayList<>();
    final List<Integer> ports = new ArrayList<>();
    private final String[] prefixes;

    BenchCluster(Vertx vertx, Context context, int nodeCount, boolean behindCuts, int topics, int history) {
        this.log = new BenchLog(topics, history);
        this.prefixes = new String[topics];
        for (int i = 0; i < topics; i++) {
            prefixes[i] = "{\"type\":\"message\",\"topic\":\"" + Target.topicName(i) + "\",\"epoch\":\"" + log.epoch
                    + "\",\"offset\":";
        }
        for (int i = 0; i < nodeCount; i++) {
            BenchNode node = new BenchNode(vertx, "b" + i, log);
            int port = node.start(context).toCompletionStage().toCompletableFuture()
                    .orTimeout(10, TimeUnit.SECONDS).join();
            nodes.add(node);
            if (behindCuts) {
                TcpCut cut = new TcpCut(vertx, context, port);
                cuts.add(cut);
                ports.add(cut.port());
            } else {
                ports.add(port);
            }
        }
    }

    /** The value for {@code gateway.upstream.nodes}. */
    String urls() {
        return String.join(",", ports.stream().map(p -> "ws://127.0.0.1:" + p + "/upstream").toList());
    }

    @Override
    public void add(int topic, long seq, byte[] payload) {
        String body = new String(payload, 0, Payload.LENGTH, StandardCharsets.ISO_8859_1);
        String line = prefixes[topic] + seq + ",\"data\":" + body + "}";
        log.append(topic, seq, line);
        for (BenchNode node : nodes) {
            node.deliver(topic, line);
        }
    }

    @Override
    public void flush() {
        for (BenchNode node : nodes) {
            node.flush();
        }
    }

    void close() {
        cuts.forEach(TcpCut::cut);
        nodes.forEach(BenchNode::stop);
    }
}
