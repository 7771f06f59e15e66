package io.edgegw.demo;

import io.vertx.core.json.JsonObject;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Remembers the outcome of each gateway {@code send} by (session, id) for a window, so that a send the gateway writes
 * again after losing a link is answered as before without being acted on twice (PROTOCOL.md section 2: sends are at
 * least once toward nodes). A {@link ReferenceCluster} shares one among its nodes, as a real cluster would share its
 * dedup store, since a repeated send may reach another node. Thread-safe (synchronized).
 */
final class SendDeduplicator {

    /** Past this many remembered sends the oldest are forgotten early, whatever the window. */
    static final int MAX_REMEMBERED = 100_000;

    private record Key(String session, String id) {
    }

    /** {@code nack} is null for an accepted send. */
    private record Outcome(JsonObject nack, long acceptedAtNanos) {
    }

    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final LinkedHashMap<Key, Outcome> outcomes = new LinkedHashMap<>();

    SendDeduplicator(long windowMillis) {
        this(windowMillis, System::nanoTime);
    }

    SendDeduplicator(long windowMillis, LongSupplier nanoClock) {
        this.windowNanos = windowMillis * 1_000_000L;
        this.nanoClock = nanoClock;
    }

    /**
     * The outcome of this (session, id): for the first send within the window, runs {@code accept} and remembers what
     * it returns; for a repeat, returns what was remembered. Null means ack; otherwise the nack's {code, message}.
     * {@code accept} runs under this object's lock, so two copies of one send never run it both.
     */
    synchronized JsonObject outcome(String session, String id, Supplier<JsonObject> accept) {
        long now = nanoClock.getAsLong();
        forgetExpired(now);
        Key key = new Key(session, id);
        Outcome known = outcomes.get(key);
        if (known != null) {
            return known.nack();
        }
        JsonObject nack = accept.get();
        outcomes.put(key, new Outcome(nack, now));
        return nack;
    }

    synchronized int size() {
        return outcomes.size();
    }

    /** Insertion order is acceptance order, so the expired ones are at the head. */
    private void forgetExpired(long now) {
        Iterator<Map.Entry<Key, Outcome>> oldestFirst = outcomes.entrySet().iterator();
        while (oldestFirst.hasNext()) {
            Outcome oldest = oldestFirst.next().getValue();
            if (now - oldest.acceptedAtNanos() < windowNanos && outcomes.size() < MAX_REMEMBERED) {
                return;
            }
            oldestFirst.remove();
        }
    }
}
