package io.edgegw.upstream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which connection carries each browser session (PROTOCOL.md section 2; topics are placed the same way by
 * {@link UpstreamTopics}): a hash over the connections that are up. When a connection goes down its entries move at once to the ones still
 * up, or wait (owner null) when none is; nothing moves back when a connection returns. Confined to the upstream
 * loop.
 */
final class Placement {

    static final class SessionEntry {
        final String id;
        final String user;
        UpstreamConnection owner;
        /** The newest browser link of the session that opened it here (links of one session are numbered). */
        long link;

        SessionEntry(String id, String user) {
            this.id = id;
            this.user = user;
        }
    }

    private final Map<String, SessionEntry> sessions = new LinkedHashMap<>();

    /** Places a session opened by browser link {@code link}; returns its connection, or null while none is up. */
    UpstreamConnection addSession(String id, String user, long link, List<UpstreamConnection> up) {
        SessionEntry entry = sessions.computeIfAbsent(id, key -> new SessionEntry(key, user));
        entry.link = Math.max(entry.link, link);
        if (entry.owner == null || !entry.owner.isConnected()) {
            entry.owner = choose(id, up);
        }
        return entry.owner;
    }

    /** True when a link newer than {@code link} opened the session: an older link's end is not the session's. */
    boolean isReopenedAfter(String id, long link) {
        SessionEntry entry = sessions.get(id);
        return entry != null && entry.link > link;
    }

    /** Forgets a session; returns the connection it was on, if any. */
    UpstreamConnection removeSession(String id) {
        SessionEntry entry = sessions.remove(id);
        return entry == null ? null : entry.owner;
    }

    UpstreamConnection ownerOfSession(String id) {
        SessionEntry entry = sessions.get(id);
        return entry == null ? null : entry.owner;
    }

    /** Places every waiting session; returns those placed. */
    List<SessionEntry> placeWaitingSessions(List<UpstreamConnection> up) {
        List<SessionEntry> placed = new ArrayList<>();
        for (SessionEntry entry : sessions.values()) {
            if (entry.owner == null && (entry.owner = choose(entry.id, up)) != null) {
                placed.add(entry);
            }
        }
        return placed;
    }

    /** Moves the sessions of a lost connection; returns those that found a new one. */
    List<SessionEntry> moveSessions(UpstreamConnection lost, List<UpstreamConnection> up) {
        List<SessionEntry> moved = new ArrayList<>();
        for (SessionEntry entry : sessions.values()) {
            if (entry.owner == lost && (entry.owner = choose(entry.id, up)) != null) {
                moved.add(entry);
            }
        }
        return moved;
    }

    /** A stable hash of the key over the connections that are up; null when none is. */
    static UpstreamConnection choose(String key, List<UpstreamConnection> up) {
        if (up.isEmpty()) {
            return null;
        }
        int hash = key.hashCode() * 0x9E3779B9; // spread similar keys (s-1, s-2...) over the connections
        return up.get(Math.floorMod(hash ^ (hash >>> 16), up.size()));
    }
}
