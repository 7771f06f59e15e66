package io.edgegw.demo;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/**
 * Encodes what a node writes to a gateway (PROTOCOL.md section 2, node to gateway): one JSON object per line, and
 * the binary topic message frame. Stored message data is spliced in as it is, never decoded. Stateless.
 */
final class NodeFrames {

    static final byte BINARY_MESSAGE = 0x01;

    private NodeFrames() {
    }

    /**
     * Checks that {@code json} is valid JSON and returns it on one line (re-encoded only when it spans several):
     * frames are split on newlines, and a raw newline can only be whitespace in valid JSON.
     */
    static String singleLineJson(String json) {
        if (json == null) {
            throw new IllegalArgumentException("JSON text must not be null (use \"null\" for a JSON null)");
        }
        Object value;
        try {
            value = Json.decodeValue(json);
        } catch (DecodeException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getMessage(), e);
        }
        boolean multiline = json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0;
        return multiline ? Json.encode(value) : json;
    }

    static String welcome(String node) {
        return new JsonObject().put("type", "welcome").put("protocol", 1).put("node", node).encode();
    }

    static String subscribed(String topic, String epoch, long head, boolean recovered) {
        return new JsonObject().put("type", "subscribed").put("topic", topic).put("epoch", epoch)
                .put("offset", head).put("recovered", recovered).encode();
    }

    /** A pattern has no head of its own: no epoch, no offset. */
    static String subscribedPattern(String pattern) {
        return new JsonObject().put("type", "subscribed").put("topic", pattern).put("recovered", true).encode();
    }

    static String message(SharedLog.Entry entry) {
        return "{\"type\":\"message\",\"topic\":" + Json.encode(entry.topic())
                + ",\"epoch\":" + Json.encode(entry.epoch())
                + ",\"offset\":" + entry.offset()
                + ",\"data\":" + entry.dataJson() + "}";
    }

    /** {@code [0x01][u16 topic length][topic][u8 epoch length][epoch][u64 offset][payload]}, big-endian. */
    static Buffer binaryMessage(SharedLog.Entry entry) {
        byte[] topic = entry.topic().getBytes(StandardCharsets.UTF_8);
        byte[] epoch = entry.epoch().getBytes(StandardCharsets.UTF_8);
        byte[] payload = entry.binaryPayload();
        return Buffer.buffer(1 + 2 + topic.length + 1 + epoch.length + 8 + payload.length)
                .appendByte(BINARY_MESSAGE)
                .appendUnsignedShort(topic.length)
                .appendBytes(topic)
                .appendUnsignedByte((short) epoch.length)
                .appendBytes(epoch)
                .appendLong(entry.offset())
                .appendBytes(payload);
    }

    static String direct(String session, String event, String dataJson) {
        return "{\"type\":\"direct\",\"session\":" + Json.encode(session)
                + ",\"event\":" + Json.encode(event)
                + ",\"data\":" + dataJson + "}";
    }

    static String ack(String session, String id) {
        return new JsonObject().put("type", "ack").put("session", session).put("id", id).encode();
    }

    static String nack(String session, String id, String code, String message) {
        return new JsonObject().put("type", "nack").put("session", session).put("id", id)
                .put("code", code).put("message", message).encode();
    }

    static String kick(String session, int code, String reason) {
        return new JsonObject().put("type", "kick").put("session", session).put("code", code)
                .put("reason", reason).encode();
    }
}
