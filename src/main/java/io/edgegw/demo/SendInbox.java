package io.edgegw.demo;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Decides the outcome of a gateway's {@code send} on one node: the deduplicator first, then the node's handler, by
 * default the demo behaviour (ack everything; {@code echo} answers with a {@code direct}, {@code chat.post} publishes
 * {@code {"from":<alias>,"data":<data>}} to {@value #CHAT_TOPIC}). Called on the connection's event loop; the handler
 * and publisher may be swapped from any thread.
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
            topicPublisher.accept(CHAT_TOPIC, new JsonObject().put("from", chatAlias(session)).put("data", data).encode());
        }
        return null;
    }

    /**
     * The name a chat message shows for its sender: {@code guest-} and the first 6 hex digits of the SHA-256 of the
     * session id. Every subscriber of the lobby sees it, so it must not be the session id, which nodes address
     * {@code direct}s to and which a resume is bound to; 24 bits of a hash tell nothing about the 128 random bits.
     * The sender's page computes the same from its own {@code welcome.session} to recognise its messages.
     */
    static String chatAlias(String session) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(String.valueOf(session).getBytes(StandardCharsets.UTF_8));
            return "guest-" + HexFormat.of().formatHex(digest, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }
}
