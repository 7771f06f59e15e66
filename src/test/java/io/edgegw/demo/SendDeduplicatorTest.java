package io.edgegw.demo;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SendDeduplicatorTest {

    private final AtomicLong nanos = new AtomicLong();
    private final SendDeduplicator deduplicator = new SendDeduplicator(1_000, nanos::get);
    private final AtomicInteger accepted = new AtomicInteger();

    @Test
    void repeatedSendWithinTheWindowIsNotAcceptedAgain() {
        assertNull(deduplicator.outcome("s1", "c-1", this::accept));
        nanos.addAndGet(999_000_000L);
        assertNull(deduplicator.outcome("s1", "c-1", this::accept));

        assertEquals(1, accepted.get());
    }

    @Test
    void sameIdOfAnotherSessionIsAnotherSend() {
        deduplicator.outcome("s1", "c-1", this::accept);
        deduplicator.outcome("s2", "c-1", this::accept);

        assertEquals(2, accepted.get());
    }

    @Test
    void repeatedNackIsAnsweredWithTheSameNack() {
        JsonObject nack = new JsonObject().put("code", "forbidden").put("message", "no");

        assertEquals(nack, deduplicator.outcome("s1", "c-1", () -> nack));
        assertEquals(nack, deduplicator.outcome("s1", "c-1", this::accept));
        assertEquals(0, accepted.get());
    }

    @Test
    void sendIsAcceptedAgainOnceTheWindowHasPassed() {
        deduplicator.outcome("s1", "c-1", this::accept);
        nanos.addAndGet(1_000_000_000L);
        deduplicator.outcome("s1", "c-1", this::accept);

        assertEquals(2, accepted.get());
        assertEquals(1, deduplicator.size());
    }

    private JsonObject accept() {
        accepted.incrementAndGet();
        return null;
    }
}
