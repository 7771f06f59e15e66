package io.edgegw.demo;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedLogTest {

    private final SharedLog log = new SharedLog(5);

    @Test
    void offsetsStartAtOnePerTopicAndKeepTheTopicsEpoch() {
        String epoch = log.epoch("prices/EURUSD");
        assertEquals(0, log.head("prices/EURUSD"));

        SharedLog.Entry first = log.append("prices/EURUSD", "{\"bid\":1}");
        SharedLog.Entry second = log.append("prices/EURUSD", "{\"bid\":2}");
        SharedLog.Entry other = log.append("news/markets", "\"hello\"");

        assertEquals(List.of(1L, 2L, 1L), List.of(first.offset(), second.offset(), other.offset()));
        assertEquals(epoch, first.epoch());
        assertEquals(epoch, second.epoch());
        assertTrue(epoch.startsWith("e"));
        assertEquals(2, log.head("prices/EURUSD"));
    }

    @Test
    void afterReturnsTheEntriesPastAnOffsetOfTheSameEpoch() {
        appendNumbered("t/a", 4);
        String epoch = log.epoch("t/a");

        assertEquals(List.of(3L, 4L), offsets(log.after("t/a", epoch, 2)));
        assertEquals(List.of(1L, 2L, 3L, 4L), offsets(log.after("t/a", epoch, 0)));
        assertEquals(List.of(), log.after("t/a", epoch, 4));
        assertNull(log.after("t/a", "e-other", 2));
    }

    @Test
    void historyIsBoundedAndCannotCoverWhatItDropped() {
        appendNumbered("t/a", 8); // history 5 keeps 4..8
        String epoch = log.epoch("t/a");

        assertEquals(List.of(4L, 5L, 6L, 7L, 8L), offsets(log.after("t/a", epoch, 3)));
        assertNull(log.after("t/a", epoch, 2));
    }

    @Test
    void trimHistoryMakesTheHistoryTooShort() {
        appendNumbered("t/a", 5);
        String epoch = log.epoch("t/a");

        log.trimHistory("t/a", 2);

        assertNull(log.after("t/a", epoch, 1));
        assertEquals(List.of(4L, 5L), offsets(log.after("t/a", epoch, 3)));
    }

    @Test
    void resetEpochRestartsOffsetsUnderANewEpoch() {
        appendNumbered("t/a", 3);
        String old = log.epoch("t/a");

        log.resetEpoch("t/a");

        assertNotEquals(old, log.epoch("t/a"));
        assertEquals(0, log.head("t/a"));
        assertNull(log.after("t/a", old, 1));
        SharedLog.Entry entry = log.append("t/a", "1");
        assertEquals(1, entry.offset());
        assertEquals(log.epoch("t/a"), entry.epoch());
    }

    @Test
    void catchUpReadsHeadAndMissedEntriesTogether() {
        appendNumbered("t/a", 3);
        String epoch = log.epoch("t/a");

        SharedLog.CatchUp fresh = log.catchUp("t/a", null, 0);
        SharedLog.CatchUp recovered = log.catchUp("t/a", epoch, 1);
        SharedLog.CatchUp lost = log.catchUp("t/a", "e-other", 1);

        assertEquals(new SharedLog.CatchUp(epoch, 3, List.of()), fresh);
        assertEquals(List.of(2L, 3L), offsets(recovered.missed()));
        assertTrue(recovered.recovered());
        assertEquals(3, lost.head());
        assertNull(lost.missed());
    }

    @Test
    void storesDataOnOneLineAndRejectsWhatIsNotJson() {
        SharedLog.Entry entry = log.append("t/a", "{\n  \"a\": 1\n}");

        assertEquals("{\"a\":1}", entry.dataJson());
        assertThrows(IllegalArgumentException.class, () -> log.append("t/a", "{not json"));
        assertThrows(IllegalArgumentException.class, () -> log.append("t/*", "1"));
    }

    @Test
    void binaryEntriesShareTheTopicsOffsets() {
        log.append("t/a", "1");
        SharedLog.Entry binary = log.appendBinary("t/a", new byte[]{1, 2, 3});

        assertEquals(2, binary.offset());
        assertTrue(binary.isBinary());
        assertNull(binary.dataJson());
        assertArrayEquals(new byte[]{1, 2, 3}, binary.binaryPayload());
    }

    private void appendNumbered(String topic, int count) {
        for (int i = 1; i <= count; i++) {
            log.append(topic, "{\"n\":" + i + "}");
        }
    }

    private static List<Long> offsets(List<SharedLog.Entry> entries) {
        return entries.stream().map(SharedLog.Entry::offset).toList();
    }
}
