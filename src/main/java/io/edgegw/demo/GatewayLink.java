package io.edgegw.demo;

import io.edgegw.fanout.TopicPattern;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * One gateway connection accepted by a {@link ReferenceNode}: checks the {@code hello}, then answers the gateway's
 * frames (PROTOCOL.md section 2, node side).
 * <p>
 * All of its state is confined to the connection's Vert.x context. Other threads hand work over with
 * {@code runOnContext}, never by writing directly, so that everything written on the connection (replies, replays,
 * live messages) goes out in the order the context runs it.
 */
final class GatewayLink {

    private static final Logger LOG = Logger.getLogger(GatewayLink.class);

    static final short POLICY_VIOLATION = 1008;

    private final ReferenceNode node;
    private final ServerWebSocket socket;
    private final Context context;
    private final SubscriptionTable subscriptions = new SubscriptionTable();
    private final Promise<Void> closed = Promise.promise();
    private volatile boolean welcomed;
    private boolean closing;

    GatewayLink(ReferenceNode node, ServerWebSocket socket, Context context) {
        this.node = node;
        this.socket = socket;
        this.context = context;
        socket.textMessageHandler(this::onText);
        socket.binaryMessageHandler(frame -> LOG.warnf("node %s: ignoring a binary frame from a gateway", node.id()));
        socket.exceptionHandler(error -> LOG.debugf(error, "node %s: gateway link error", node.id()));
        socket.closeHandler(v -> {
            node.linkClosed(this);
            closed.tryComplete();
        });
    }

    /** True once the gateway's hello was accepted, until the link closes. */
    boolean isOpen() {
        return welcomed && !closed.future().isComplete();
    }

    /** Live topic message: written when a subscription of this link matches and the replay has not carried it. */
    void deliver(SharedLog.Entry entry) {
        context.runOnContext(v -> {
            if (subscriptions.admit(entry)) {
                if (entry.isBinary()) {
                    writeBinary(NodeFrames.binaryMessage(entry));
                } else {
                    writeText(NodeFrames.message(entry));
                }
            }
        });
    }

    /** Writes one node frame (direct, kick) from any thread. */
    void send(String frame) {
        context.runOnContext(v -> writeText(frame));
    }

    /** Closes the link with a close frame; the future completes once the connection is closed. */
    Future<Void> close(int code, String reason) {
        context.runOnContext(v -> closeNow(code, reason));
        return closed.future();
    }

    private void onText(String text) {
        for (String line : text.split("\n")) {
            if (closing) {
                return;
            }
            if (!line.isBlank()) {
                onLine(line);
            }
        }
    }

    private void onLine(String line) {
        JsonObject frame;
        try {
            frame = new JsonObject(line);
        } catch (RuntimeException e) {
            if (!welcomed) {
                closeNow(POLICY_VIOLATION, "hello expected");
            } else {
                LOG.warnf("node %s: ignoring a line that is not a JSON object: %s", node.id(), line);
            }
            return;
        }
        try {
            if (welcomed) {
                dispatch(frame);
            } else {
                hello(frame);
            }
        } catch (RuntimeException e) { // a field of the wrong type: ignore the frame, as a lenient node would
            LOG.warnf("node %s: ignoring a malformed %s frame (%s)", node.id(), frame.getValue("type"), e.toString());
        } finally {
            node.record(frame);
        }
    }

    private void hello(JsonObject frame) {
        if (!"hello".equals(frame.getValue("type"))) {
            closeNow(POLICY_VIOLATION, "hello expected");
        } else if (!Integer.valueOf(1).equals(frame.getValue("protocol"))) {
            closeNow(POLICY_VIOLATION, "unsupported protocol");
        } else if (!node.acceptsToken(frame.getValue("token"))) {
            closeNow(POLICY_VIOLATION, "bad token");
        } else {
            welcomed = true;
            writeText(NodeFrames.welcome(node.id()));
            LOG.debugf("node %s: welcomed gateway connection %s", node.id(), frame.getValue("connection"));
        }
    }

    private void dispatch(JsonObject frame) {
        String type = frame.getString("type");
        switch (type == null ? "" : type) {
            case "open" -> node.sessionOpened(required(frame, "session"), this);
            case "close" -> node.sessionClosed(required(frame, "session"), this);
            case "sub" -> subscribe(required(frame, "topic"), frame.getJsonObject("since"));
            case "unsub" -> subscriptions.unsubscribe(required(frame, "topic"));
            case "send" -> acceptSend(frame);
            default -> LOG.debugf("node %s: ignoring frame type %s", node.id(), type);
        }
    }

    /**
     * Reads the log and registers the subscription in one task on this context: a live message appended before the
     * read is in the replay (or below the head reported), one appended after it reaches this context after this task.
     */
    private void subscribe(String topic, JsonObject since) {
        TopicPattern pattern = TopicPattern.parse(topic);
        if (pattern == null) {
            LOG.warnf("node %s: ignoring sub for invalid topic or pattern %s", node.id(), topic);
            return;
        }
        if (!pattern.isExact()) {
            subscriptions.subscribe(pattern);
            writeText(NodeFrames.subscribedPattern(topic));
            return;
        }
        SharedLog.CatchUp catchUp = since == null
                ? node.log().catchUp(topic, null, 0)
                : node.log().catchUp(topic, since.getString("epoch", ""), since.getLong("offset", -1L));
        subscriptions.subscribe(topic, catchUp.epoch(), catchUp.head());
        OutboundBatch batch = new OutboundBatch(socket);
        batch.text(NodeFrames.subscribed(topic, catchUp.epoch(), catchUp.head(), catchUp.recovered()));
        List<SharedLog.Entry> replay = catchUp.recovered() ? catchUp.missed() : List.of();
        for (SharedLog.Entry entry : replay) {
            if (entry.isBinary()) {
                batch.binary(NodeFrames.binaryMessage(entry));
            } else {
                batch.text(NodeFrames.message(entry));
            }
        }
        batch.flush();
    }

    private void acceptSend(JsonObject frame) {
        String session = required(frame, "session");
        String id = required(frame, "id");
        JsonObject nack = node.acceptSend(frame);
        if (nack == null) {
            writeText(NodeFrames.ack(session, id));
        } else {
            writeText(NodeFrames.nack(session, id, nack.getString("code", "rejected"), nack.getString("message", "")));
        }
    }

    private void writeText(String frame) {
        if (!socket.isClosed()) {
            socket.writeTextMessage(frame);
        }
    }

    private void writeBinary(Buffer frame) {
        if (!socket.isClosed()) {
            socket.writeBinaryMessage(frame);
        }
    }

    private void closeNow(int code, String reason) {
        closing = true;
        if (!socket.isClosed()) {
            LOG.debugf("node %s: closing a gateway link with %d %s", node.id(), code, reason);
            socket.close((short) code, reason);
        }
    }

    private static String required(JsonObject frame, String field) {
        String value = frame.getString(field);
        if (value == null) {
            throw new IllegalArgumentException("missing " + field);
        }
        return value;
    }
}
