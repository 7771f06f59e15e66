package io.edgegw.upstream;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Browser {@code send}s that no node has answered yet, in order of their first attempt. A send is either written
 * on a connection (waiting for its ack) or queued (no connection for its session is up). Only queued sends count
 * against the capacity; every send counts against the time limit from its first attempt. Confined to the upstream
 * loop.
 */
final class PendingSends {

    static final class PendingSend {
        final String session;
        final String id;
        final String line;
        final long firstAttemptMs;
        UpstreamConnection writtenOn;
        boolean everWritten;

        PendingSend(String session, String id, String line, long firstAttemptMs) {
            this.session = session;
            this.id = id;
            this.line = line;
            this.firstAttemptMs = firstAttemptMs;
        }
    }

    private final Map<String, PendingSend> byKey = new LinkedHashMap<>();
    private final int capacity;
    private int queued;

    PendingSends(int capacity) {
        this.capacity = capacity;
    }

    private static String key(String session, String id) {
        return session + '\u0000' + id;
    }

    /** Adds a send as queued; false when the queue is full. */
    boolean add(PendingSend send) {
        if (queued >= capacity) {
            return false;
        }
        byKey.put(key(send.session, send.id), send);
        queued++;
        return true;
    }

    void written(PendingSend send, UpstreamConnection connection) {
        if (send.writtenOn == null) {
            queued--;
        }
        send.writtenOn = connection;
        send.everWritten = true;
    }

    /** Removes and returns the send a node answered, or null if it is no longer pending. */
    PendingSend complete(String session, String id) {
        PendingSend send = byKey.remove(key(session, id));
        if (send != null && send.writtenOn == null) {
            queued--;
        }
        return send;
    }

    /** The sends written on a connection that died go back to the queue, keeping their order and their age. */
    void requeueFrom(UpstreamConnection connection) {
        for (PendingSend send : byKey.values()) {
            if (send.writtenOn == connection) {
                send.writtenOn = null;
                queued++;
            }
        }
    }

    /** Queued sends, oldest first. */
    List<PendingSend> queuedSends() {
        List<PendingSend> result = new ArrayList<>();
        for (PendingSend send : byKey.values()) {
            if (send.writtenOn == null) {
                result.add(send);
            }
        }
        return result;
    }

    /** Removes and returns every send older than {@code timeoutMs}. */
    List<PendingSend> expire(long nowMs, long timeoutMs) {
        List<PendingSend> expired = new ArrayList<>();
        Iterator<PendingSend> it = byKey.values().iterator();
        while (it.hasNext()) {
            PendingSend send = it.next();
            if (nowMs - send.firstAttemptMs < timeoutMs) {
                break; // first-attempt order: the rest are younger
            }
            it.remove();
            if (send.writtenOn == null) {
                queued--;
            }
            expired.add(send);
        }
        return expired;
    }

    /** Forgets the sends of a session that is gone: nobody is left to tell. */
    void forgetSession(String session) {
        Iterator<PendingSend> it = byKey.values().iterator();
        while (it.hasNext()) {
            PendingSend send = it.next();
            if (send.session.equals(session)) {
                it.remove();
                if (send.writtenOn == null) {
                    queued--;
                }
            }
        }
    }

    int queued() {
        return queued;
    }

    int size() {
        return byKey.size();
    }
}
