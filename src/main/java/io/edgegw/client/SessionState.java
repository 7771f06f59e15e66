package io.edgegw.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegw.fanout.TopicPattern;

/**
 * What a session hands to its successor when a browser resumes it: taken on the old session's loop, restored on the
 * new one's. Immutable.
 *
 * @param subscriptions topics and patterns, in subscription order
 * @param ignores the session's own ignore patterns
 * @param positions the last (epoch, offset) delivered per exact topic, where recovery continues
 * @param sendsInFlight ids of sends still waiting for their ack
 * @param heldFrames frames (directs, acks) that arrived while no browser was connected
 * @param heldDropped how many more came and were dropped past {@code gateway.session.held-frames}: a count, not a
 *        frame, so that a session that holds the state again (its own link lost meanwhile) can add to it
 */
record SessionState(List<String> subscriptions, List<String> ignores, Map<String, Position> positions,
        Set<String> sendsInFlight, List<String> heldFrames, int heldDropped) {

    /** A resume of a session this gateway does not hold: the id survives, nothing else. */
    static final SessionState EMPTY = new SessionState(List.of(), List.of(), Map.of(), Set.of(), List.of(), 0);

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * This state with the browser's own positions where it gave them: what the browser received wins over what
     * the gateway wrote, part of which a dead link may have swallowed.
     */
    SessionState withPositions(Map<String, Position> browserPositions) {
        if (browserPositions.isEmpty()) {
            return this;
        }
        Map<String, Position> merged = new LinkedHashMap<>(positions);
        browserPositions.forEach((topic, position) -> {
            if (subscriptions.contains(topic)) {
                merged.put(topic, position);
            }
        });
        return new SessionState(subscriptions, ignores, merged, sendsInFlight, heldFrames, heldDropped);
    }

    /**
     * The {@code since} query parameter of a resume, {@code {"topic":{"epoch":"e1","offset":41},...}} as in a
     * {@code subscribe}; malformed entries are left out (the gateway's own position then applies).
     */
    static Map<String, Position> parsePositions(String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        Map<String, Position> result = new LinkedHashMap<>();
        try {
            JsonNode root = MAPPER.readTree(json);
            if (root != null && root.isObject()) {
                root.fields().forEachRemaining(field -> {
                    JsonNode value = field.getValue();
                    if (TopicPattern.isValidTopic(field.getKey()) && value.path("epoch").isTextual()
                            && value.path("offset").isIntegralNumber() && value.path("offset").longValue() >= 0) {
                        result.put(field.getKey(),
                                new Position(value.path("epoch").textValue(), value.path("offset").longValue()));
                    }
                });
            }
        } catch (JsonProcessingException e) {
            return Map.of();
        }
        return result;
    }

    /** A delivered position of one topic. */
    record Position(String epoch, long offset) {
    }
}
