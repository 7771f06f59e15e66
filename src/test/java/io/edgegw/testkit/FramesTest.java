package io.edgegw.testkit;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FramesTest {

    @Test
    void splitsAFrameIntoOneMessagePerLineSkippingEmptyLines() {
        List<JsonObject> messages = Frames.split("{\"type\":\"a\"}\n{\"type\":\"b\",\"text\":\"x\\ny\"}\n");

        assertEquals(2, messages.size());
        assertEquals("x\ny", messages.get(1).getString("text"), "a newline inside a string is escaped in JSON");
    }

    @Test
    void joinsMessagesWithNewlines() {
        String frame = Frames.join(new JsonObject().put("type", "a"), new JsonObject().put("type", "b"));

        assertEquals("{\"type\":\"a\"}\n{\"type\":\"b\"}", frame);
    }

    @Test
    void rejectsWhatIsNotAJsonObject() {
        for (String text : List.of("not json", "42", "[1]", "null", "\"text\"", "{\"type\":")) {
            assertThrows(AssertionError.class, () -> Frames.json(text), text);
        }
    }
}
