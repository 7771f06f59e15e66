package io.edgegw.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketFrame;

import java.nio.charset.StandardCharsets;

/**
 * One benchmark client: a WebSocket subscribed to one topic of the gateway or the peer. Its fields are confined to
 * its context's event loop. The receive path reads bytes only ({@link StreamParser}): one clock read per frame, a
 * histogram record and a sequence check per message.
 */
final class ClientLink {

    private static final long UNKNOWN = -1;

    final int topic;
    final Context context;
    final ContextStats stats;
    private final Target target;
    private final Window window;
    private final StreamParser parser;
    private WebSocket socket;
    private Runnable onReady;
    private boolean ready;
    private boolean closed;

    private long last;
    private long received;
    private long duplicates;
    private long gapLost;
    private long gapLines;
    private long errors;
    private long other;
    private long firstAfterCut = -1;

    ClientLink(int topic, Context context, ContextStats stats, Target target, Window window) {
        this.topic = topic;
        this.context = context;
        this.stats = stats;
        this.target = target;
        this.window = window;
        this.parser = target.newParser(this);
    }

    /** Attaches a freshly connected socket and subscribes; {@code onReady} runs once the subscription is confirmed. */
    void attach(WebSocket socket, boolean reconnect, Runnable onReady) {
        this.socket = socket;
        this.onReady = onReady;
        this.ready = false;
        this.closed = false;
        if (reconnect) {
            last = UNKNOWN;          // messages published while it was away are not counted as lost: see closed
        }
        socket.frameHandler(this::onFrame);
        socket.exceptionHandler(error -> { });
        target.subscribe(socket, topic);
    }

    void markClosed() {
        closed = true;
    }

    long receivedCount() {
        return received;
    }

    boolean isOpen() {
        return socket != null && !closed;
    }

    boolean isReady() {
        return ready && !closed;
    }

    void close() {
        if (socket != null && !closed) {
            socket.close();
        }
    }

    private void onFrame(WebSocketFrame frame) {
        if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
            long now = System.nanoTime();
            ByteBuf bytes = frame.binaryData().getByteBuf();
            ContextStats s = stats;
            if (now >= window.start && now < window.end) {
                s.windowFrames++;
                s.windowBytes += bytes.readableBytes();
            }
            parser.onFrame(bytes, frame.isFinal(), now);
        }
    }

    void onMessage(long ts, long seq, long now) {
        if (now >= window.start && now < window.end) {
            stats.windowMessages++;
            long micros = (now - ts) / 1000;
            stats.latency.recordValue(Math.max(0, Math.min(micros, stats.latency.getHighestTrackableValue())));
        }
        if (last == UNKNOWN || seq == last + 1) {
            last = seq;
            received++;
        } else if (seq > last + 1) {
            gapLost += seq - last - 1;
            last = seq;
            received++;
        } else {
            duplicates++;
        }
        long cut = window.cut;
        if (cut != 0 && firstAfterCut < 0 && ts >= cut) {
            firstAfterCut = now - cut;
        }
    }

    void onSubscribed() {
        if (!ready) {
            ready = true;
            Runnable r = onReady;
            onReady = null;
            if (r != null) {
                r.run();
            }
        }
    }

    void onGap() {
        gapLines++;
    }

    void onError(ByteBuf buf, int from, int to) {
        if (errors++ == 0) {
            String text = buf.toString(from, Math.min(to - from, 300), StandardCharsets.UTF_8);
            System.err.println("client error frame: " + text);
        }
    }

    void onOther(ByteBuf buf, int from, int to) {
        other++;
    }

    void pong() {
        if (isOpen()) {
            socket.writeBinaryMessage(Buffer.buffer("PONG\r\n"));
        }
    }

    void ping() {
        if (isOpen()) {
            target.keepAlive(socket);
        }
    }

    void resetForCut() {
        firstAfterCut = -1;
    }

    /** Adds this client's counters; {@code heads[topic]} is what the publisher had published when it stopped. */
    void addTo(ContextStats.Snapshot into, long[] heads) {
        into.received += received;
        into.duplicates += duplicates;
        into.lost += gapLost;
        if (isOpen() && last != UNKNOWN && heads != null && heads[topic] > last) {
            into.undelivered += heads[topic] - last;
        }
        into.gapLines += gapLines;
        into.errors += errors;
        into.other += other;
        if (isOpen()) {
            into.open++;
        } else if (socket != null) {
            into.closed++;
        }
        if (window.cut != 0) {
            into.afterCut.add(firstAfterCut);
        }
    }
}
