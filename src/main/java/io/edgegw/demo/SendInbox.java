package io.edgegw.demo;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Decides the outcome of a gateway's {@code send} on one node: the deduplicator first, then the node's handler, by
 * default the demo behaviour (ack everything; {@code echo} answers with a {@code direct}, {@code chat.post} publishes
 * to {@value #CHAT_TOPIC}). Called on the connection's event loop; the handler and publisher may be swapped from any
 * thread.
 */
final class SendInbox {

    private static final Logger LOG = Logger.getLogger(SendInbox.class);

    static final String CHAT_TOPIC = "chat/lobby";

    private final ReferenceNode node;
    private final SendDeduplicator deduplicator;
    private volatile Function<JsonObject, JsonObject> handler = this::demoBehaviour;
    private volatile BiConsumer<String, String> topicPublisher;

    SendInbox(ReferenceNode node, SendDeduplicator deduplicator, BiConsumer<String, String> topicPublisher) {
        this.node = node;
        this.deduplicator = deduplicator;
        this.topicPublisher = topicPublisher;
    }

    /** Null restores the demo behaviour. */
    void handler(Function<JsonObject, JsonObject> handler) {
        this.handler = handler != null ? handler : this::demoBehaviour;
    }

    void topicPublisher(BiConsumer<String, String> topicPublisher) {
        this.topicPublisher = topicPublisher;
    }

    /** Null to ack, else the nack's code and message; a repeated (session, id) gets the first one's outcome. */
    JsonObject accept(JsonObject send) {
        return deduplicator.outcome(send.getString("session"), send.getString("id"), () -> {
            try {
                return handler.apply(send);
            } catch (RuntimeException e) {
                LOG.warnf(e, "node %s: send handler failed", node.id());
                return new JsonObject().put("code", "internal_error").put("message", String.valueOf(e.getMessage()));
            }
        });
    }

    private JsonObject demoBehaviour(JsonObject send) {
        String session = send.getString("session");
        String event = send.getString("event");
        Object data = send.getValue("data");
        if ("echo".equals(event)) {
            node.direct(session, "echo", Json.encode(data));
        } else if ("chat.post".equals(event)) {
            topicPublisher.accept(CHAT_TOPIC, new JsonObject().put("session", session).put("data", data).encode());
        }
        return null;
    }
}
