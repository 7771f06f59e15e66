package io.edgegw.testkit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The framing of PROTOCOL.md section 0: a text frame carries one JSON object per line, lines separated by {@code \n}.
 */
public final class Frames {

    private Frames() {
    }

    /**
     * Parses one message.
     *
     * @throws AssertionError if {@code text} is not a JSON object
     */
    public static JsonObject json(String text) {
        JsonObject message = parseOrNull(text);
        if (message == null) {
            throw new AssertionError("not a JSON object: " + text);
        }
        return message;
    }

    /**
     * Parses every message of a text frame. Empty lines (such as after a trailing {@code \n}) carry no message and are
     * skipped, as a lenient receiver would.
     *
     * @throws AssertionError if a line is not a JSON object
     */
    public static List<JsonObject> split(String frame) {
        List<JsonObject> messages = new ArrayList<>();
        for (String line : lines(frame)) {
            messages.add(json(line));
        }
        return messages;
    }

    /** One frame's text carrying {@code messages}, separated by {@code \n}. */
    public static String join(JsonObject... messages) {
        return Arrays.stream(messages).map(JsonObject::encode).collect(Collectors.joining("\n"));
    }

    /** The non-empty lines of a frame. */
    static List<String> lines(String frame) {
        List<String> lines = new ArrayList<>();
        for (String line : frame.split("\n", -1)) {
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** The message on {@code line}, or null if the line is not a JSON object. */
    static JsonObject parseOrNull(String line) {
        try {
            return new JsonObject(line);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }
}
