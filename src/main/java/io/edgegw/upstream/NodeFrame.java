package io.edgegw.upstream;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * One JSON message from a node, read with Jackson's streaming parser: the routing fields only. Payloads are never
 * decoded: a topic message is forwarded as the very line it came in, and {@code data} of other frames is kept as
 * its raw JSON text. For a {@code message} parsing stops as soon as topic, epoch and offset are known.
 */
public record NodeFrame(String type, String topic, String epoch, long offset, String session, String id,
        String event, String code, int closeCode, String message, String reason, Boolean recovered, int protocol,
        String node, String rawData, String line) {

    /** Marks an absent offset. */
    public static final long NO_OFFSET = -1;

    private static final JsonFactory FACTORY = new JsonFactory();

    /** Parses one line; throws {@link IllegalArgumentException} when it is not a JSON object with a string type. */
    public static NodeFrame parse(String line) {
        try (JsonParser parser = FACTORY.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            Builder frame = new Builder(line);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "type" -> frame.type = text(parser, value);
                    case "topic" -> frame.topic = text(parser, value);
                    case "epoch" -> frame.epoch = text(parser, value);
                    case "offset" -> frame.offset = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : NO_OFFSET;
                    case "session" -> frame.session = text(parser, value);
                    case "id" -> frame.id = text(parser, value);
                    case "event" -> frame.event = text(parser, value);
                    case "code" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT) {
                            frame.closeCode = parser.getIntValue();
                        } else {
                            frame.code = text(parser, value);
                        }
                    }
                    case "message" -> frame.message = text(parser, value);
                    case "reason" -> frame.reason = text(parser, value);
                    case "recovered" -> frame.recovered = value == JsonToken.VALUE_TRUE ? Boolean.TRUE
                            : value == JsonToken.VALUE_FALSE ? Boolean.FALSE : null;
                    case "protocol" -> frame.protocol = value == JsonToken.VALUE_NUMBER_INT ? parser.getIntValue() : 0;
                    case "node" -> frame.node = text(parser, value);
                    case "data" -> {
                        int start = (int) parser.currentTokenLocation().getCharOffset();
                        parser.skipChildren();
                        int end = (int) parser.currentLocation().getCharOffset();
                        frame.rawData = line.substring(start, end);
                    }
                    default -> parser.skipChildren();
                }
                if ("message".equals(frame.type) && frame.topic != null && frame.epoch != null
                        && frame.offset != NO_OFFSET) {
                    break; // the rest is payload: never read it
                }
            }
            if (frame.type == null) {
                throw new IllegalArgumentException("missing type");
            }
            return frame.build();
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    private static String text(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        parser.skipChildren();
        return null;
    }

    private static final class Builder {
        final String line;
        String type, topic, epoch, session, id, event, code, message, reason, node, rawData;
        long offset = NO_OFFSET;
        int closeCode, protocol;
        Boolean recovered;

        Builder(String line) {
            this.line = line;
        }

        NodeFrame build() {
            return new NodeFrame(type, topic, epoch, offset, session, id, event, code, closeCode, message, reason,
                    recovered, protocol, node, rawData, line);
        }
    }
}
