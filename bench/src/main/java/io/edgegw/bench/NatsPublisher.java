package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's connection to nats-server: plain TCP, the NATS text protocol ({@code PUB <subject> <len>}), each
 * tick's messages in one write.
 */
final class NatsPublisher implements Publisher.Sink {

    private final NetSocket socket;
    private final byte[][] pubLines;
    private Buffer pending = Buffer.buffer(4096);

    private NatsPublisher(NetSocket socket, int topics) {
        this.socket = socket;
        this.pubLines = new byte[topics][];
        for (int i = 0; i < topics; i++) {
            String pub = "PUB " + Target.subject(i) + " " + Payload.LENGTH + "\r\n";
            pubLines[i] = pub.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Connects on {@code context} (the publisher's loop) and sends CONNECT. */
    static NatsPublisher connect(Vertx vertx, Context context, int port, int topics) {
        java.util.concurrent.CompletableFuture<NatsPublisher> result = new java.util.concurrent.CompletableFuture<>();
        context.runOnContext(v -> vertx.createNetClient().connect(port, "127.0.0.1").onComplete(ar -> {
            if (ar.failed()) {
                result.completeExceptionally(ar.cause());
                return;
            }
            NetSocket socket = ar.result();
            socket.handler(data -> {
                // INFO, PING, -ERR: answer pings; report errors
                String text = data.toString(StandardCharsets.US_ASCII);
                if (text.contains("PING")) {
                    socket.write("PONG\r\n");
                }
                if (text.contains("-ERR")) {
                    System.err.println("nats publisher: " + text.trim());
                }
            });
            socket.write("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
            result.complete(new NatsPublisher(socket, topics));
        }));
        return result.orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Override
    public void add(int topic, long seq, byte[] payload) {
        pending.appendBytes(pubLines[topic]).appendBytes(payload, 0, Payload.LENGTH).appendByte((byte) '\r')
                .appendByte((byte) '\n');
    }

    @Override
    public void flush() {
        if (pending.length() > 0) {
            socket.write(pending);
            pending = Buffer.buffer(4096);
        }
    }

    void close() {
        socket.close();
    }
}
