package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegw.fanout.TopicDelivery;

/** What a session releases after a replay: each message once, in order, and no gap for what the replay delivered. */
class TopicRecoveryTest {

    private static TopicDelivery message(String epoch, long offset) {
        return new TopicDelivery("t", epoch, offset, "m" + offset, 0);
    }

    private static TopicDelivery gap(String epoch, long from, long to) {
        return TopicDelivery.gap("t", new TopicDelivery.Gap(epoch, from, to), 0);
    }

    private static List<TopicDelivery> replay(long from, long to) {
        List<TopicDelivery> replay = new ArrayList<>();
        for (long offset = from; offset <= to; offset++) {
            replay.add(message("e1", offset));
        }
        return replay;
    }

    /** Messages as "e1:7", gaps as their wire lines. */
    private static List<String> shown(List<TopicDelivery> released) {
        return released.stream().map(d -> d.isControl() ? (String) d.payload() : d.epoch() + ":" + d.offset())
                .toList();
    }

    @Test
    void theReplayComesFirstThenTheHeldMessagesItDidNotHave() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        recovery.hold(message("e1", 44));
        recovery.hold(message("e1", 45));
        recovery.hold(message("e1", 46));
        assertThat(shown(recovery.release(null, replay(39, 45)))).containsExactly("e1:41", "e1:42", "e1:43", "e1:44",
                "e1:45", "e1:46");
    }

    @Test
    void aHeldGapThatTheReplayCoveredIsNotSent() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        recovery.hold(gap("e1", 43, 57));
        recovery.hold(message("e1", 61));
        assertThat(shown(recovery.release(null, replay(41, 60)))).hasSize(21).doesNotContain(gapLine("e1", 43, 57))
                .endsWith("e1:60", "e1:61");
    }

    @Test
    void aHeldGapIsCutToWhatTheReplayDidNotDeliver() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        recovery.hold(gap("e1", 43, 57));
        recovery.hold(message("e1", 58));
        assertThat(shown(recovery.release(null, replay(41, 50)))).endsWith("e1:50", gapLine("e1", 51, 57),
                "e1:58");
    }

    @Test
    void aHeldGapBeyondTheReplayResetsAndOtherEpochsGoOutAsTheyCame() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        TopicDelivery reset = new TopicDelivery("t", null, -1, "{\"type\":\"gap\",\"reset\":true}", 0);
        recovery.hold(gap("e1", 45, 47));
        recovery.hold(reset);
        recovery.hold(gap("e2", 0, 3));
        recovery.hold(message("e2", 4));
        assertThat(shown(recovery.release(null, replay(41, 42)))).containsExactly("e1:41", "e1:42",
                gapLine("e1", 45, 47), "{\"type\":\"gap\",\"reset\":true}", gapLine("e2", 0, 3), "e2:4");
    }

    @Test
    void askingAgainKeepsWhatTheFirstQuestionHeld() {
        TopicRecovery first = new TopicRecovery(1, "e1", 50);
        first.hold(message("e1", 60));
        TopicRecovery second = new TopicRecovery(2, "e1", 45);
        second.takeOver(first);
        second.hold(message("e1", 61));
        assertThat(shown(second.release(null, replay(46, 59)))).hasSize(16).startsWith("e1:46")
                .endsWith("e1:60", "e1:61");
    }

    @Test
    void anAnswerThatIsAGapComesFirstCutShortOfTheLiveMessagesHeld() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        recovery.hold(message("e1", 55));
        recovery.hold(message("e1", 56));
        recovery.hold(gap("e1", 57, 58)); // dropped by an overloaded loop
        recovery.hold(message("e1", 59));
        assertThat(shown(recovery.release(gap("e1", 41, 58), List.of()))).containsExactly(gapLine("e1", 41, 54),
                "e1:55", "e1:56", gapLine("e1", 57, 58), "e1:59");
    }

    @Test
    void anAnswerThatIsAGapGoesOutWholeWhenNothingWasHeld() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        assertThat(shown(recovery.release(gap("e1", 41, 58), List.of()))).containsExactly(gapLine("e1", 41, 58));
    }

    @Test
    void compactedHeldMessagesKeepOnlyTheirRangeWhichTheReplayFills() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        long held = 0;
        for (long offset = 44; offset <= 46; offset++) {
            held += recovery.hold(message("e1", offset));
        }
        assertThat(held).isEqualTo(recovery.heldSize()).isEqualTo(9); // "m44", "m45", "m46"
        recovery.compact();
        for (long offset = 47; offset <= 60; offset++) { // held past the bound: each compacted as it comes
            recovery.hold(message("e1", offset));
            recovery.compact();
        }
        assertThat(recovery.heldInOrder()).hasSize(1);
        assertThat(recovery.heldSize()).isEqualTo(gapLine("e1", 44, 60).length());
        assertThat(recovery.handedOver()).as("what the fan-out counted as delivered").isEqualTo(17);
        assertThat(shown(recovery.release(null, replay(41, 60)))).as("all of it from the replay, no gap")
                .hasSize(20).startsWith("e1:41").endsWith("e1:60").noneMatch(line -> line.contains("gap"));
        assertThat(recovery.compactedMessages()).isEqualTo(17);
        assertThat(recovery.lostToCompaction()).isZero();
    }

    @Test
    void whatACompactedRangeHasBeyondTheReplayIsAGap() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        for (long offset = 44; offset <= 50; offset++) {
            recovery.hold(message("e1", offset));
        }
        recovery.compact();
        assertThat(shown(recovery.release(null, replay(41, 46)))).containsExactly("e1:41", "e1:42", "e1:43", "e1:44",
                "e1:45", "e1:46", gapLine("e1", 47, 50));
        assertThat(recovery.lostToCompaction()).as("47..50: counted as dropped").isEqualTo(4);
    }

    @Test
    void compactedMessagesAreLostWhenTheAnswerIsAGap() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        for (long offset = 44; offset <= 50; offset++) {
            recovery.hold(message("e1", offset));
        }
        recovery.compact();
        recovery.hold(message("e1", 51));
        assertThat(shown(recovery.release(gap("e1", 41, 51), List.of()))).containsExactly(gapLine("e1", 41, 43),
                gapLine("e1", 44, 50), "e1:51");
        assertThat(recovery.lostToCompaction()).isEqualTo(7);
    }

    @Test
    void compactingKeepsResetsAndOtherEpochsInTheirPlace() {
        TopicRecovery recovery = new TopicRecovery(1, "e1", 40);
        TopicDelivery reset = new TopicDelivery("t", null, -1, "{\"type\":\"gap\",\"reset\":true}", 0);
        recovery.hold(message("e1", 44));
        recovery.hold(gap("e1", 45, 46));
        recovery.hold(message("e1", 47));
        recovery.hold(reset);
        recovery.hold(message("e2", 1));
        recovery.hold(message("e2", 2));
        recovery.compact();
        assertThat(shown(recovery.heldInOrder())).containsExactly(gapLine("e1", 44, 47),
                "{\"type\":\"gap\",\"reset\":true}", gapLine("e2", 1, 2));
        assertThat(shown(recovery.release(null, replay(41, 47)))).containsExactly("e1:41", "e1:42", "e1:43", "e1:44",
                "e1:45", "e1:46", "e1:47", "{\"type\":\"gap\",\"reset\":true}", gapLine("e2", 1, 2));
    }

    private static String gapLine(String epoch, long from, long to) {
        return "{\"type\":\"gap\",\"topic\":\"t\",\"epoch\":\"" + epoch + "\",\"from\":" + from + ",\"to\":" + to + "}";
    }
}
