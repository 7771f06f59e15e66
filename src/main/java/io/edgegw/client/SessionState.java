package io.edgegw.client;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a session hands to its successor when a browser resumes it: taken on the old session's loop, restored on the
 * new one's. Immutable.
 *
 * @param subscriptions topics and patterns, in subscription order
 * @param ignores the session's own ignore patterns
 * @param positions the last (epoch, offset) delivered per exact topic, where recovery continues
 * @param sendsInFlight ids of sends still waiting for their ack
 * @param heldFrames frames (directs, acks) that arrived while no browser was connected
 */
record SessionState(List<String> subscriptions, List<String> ignores, Map<String, Position> positions,
        Set<String> sendsInFlight, List<String> heldFrames) {

    /** A resume of a session this gateway does not hold: the id survives, nothing else. */
    static final SessionState EMPTY = new SessionState(List.of(), List.of(), Map.of(), Set.of(), List.of());

    /** A delivered position of one topic. */
    record Position(String epoch, long offset) {
    }
}
