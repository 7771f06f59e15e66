package io.edgegw.client;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One request from a browser (PROTOCOL.md section 1), validated: anything malformed becomes a
 * {@link RequestException} carrying the error code and, when readable, the request id.
 */
record ClientRequest(String type, String id, List<String> topics, String event, String dataJson, JsonNode since) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A request that cannot be served, with the error frame's code and text. */
    static final class RequestException extends Exception {
        final String id;
        final ErrorCode code;

        RequestException(String id, ErrorCode code, String message) {
            super(message, null, false, false);
            this.id = id;
            this.code = code;
        }
    }

    static ClientRequest parse(String line) throws RequestException {
        JsonNode root;
        try {
            root = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new RequestException(null, ErrorCode.BAD_REQUEST, "not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new RequestException(null, ErrorCode.BAD_REQUEST, "a message must be a JSON object");
        }
        JsonNode idNode = root.get("id");
        String id = idNode != null && idNode.isTextual() ? idNode.textValue() : null;
        JsonNode typeNode = root.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new RequestException(id, ErrorCode.BAD_REQUEST, "missing string field: type");
        }
        String type = typeNode.textValue();
        return switch (type) {
            case "ping" -> new ClientRequest(type, id, List.of(), null, null, null);
            case "subscribe", "unsubscribe", "ignore", "unignore" -> {
                requireId(idNode, id);
                JsonNode since = root.get("since");
                if (since != null && !since.isNull() && (!since.isObject() || !type.equals("subscribe"))) {
                    throw new RequestException(id, ErrorCode.BAD_REQUEST, "since must be an object, on subscribe");
                }
                yield new ClientRequest(type, id, topics(root, id), null, null,
                        since == null || since.isNull() ? null : since);
            }
            case "send" -> {
                requireId(idNode, id);
                JsonNode event = root.get("event");
                if (event == null || !event.isTextual() || event.textValue().isEmpty()) {
                    throw new RequestException(id, ErrorCode.BAD_REQUEST, "missing string field: event");
                }
                JsonNode data = root.get("data");
                yield new ClientRequest(type, id, List.of(), event.textValue(),
                        data == null ? "null" : data.toString(), null);
            }
            default -> throw new RequestException(id, ErrorCode.UNKNOWN_TYPE, "unknown type: " + type);
        };
    }

    /** The id of {@code line}, or null when it has none or is not JSON: for an error that must name the request. */
    static String idOf(String line) {
        try {
            JsonNode id = MAPPER.readTree(line).get("id");
            return id != null && id.isTextual() ? id.textValue() : null;
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    private static void requireId(JsonNode idNode, String id) throws RequestException {
        if (idNode == null || !idNode.isTextual() || id.isEmpty()) {
            throw new RequestException(null, ErrorCode.BAD_REQUEST, "missing string field: id");
        }
    }

    private static List<String> topics(JsonNode root, String id) throws RequestException {
        JsonNode topics = root.get("topics");
        if (topics == null || !topics.isArray() || topics.isEmpty()) {
            throw new RequestException(id, ErrorCode.BAD_REQUEST, "topics must be a non-empty array of strings");
        }
        Set<String> result = new LinkedHashSet<>(topics.size() * 2); // repeats dropped in one pass, order kept
        for (JsonNode topic : topics) {
            if (!topic.isTextual()) {
                throw new RequestException(id, ErrorCode.BAD_REQUEST, "topics must be strings");
            }
            result.add(topic.textValue());
        }
        return List.copyOf(result);
    }
}
