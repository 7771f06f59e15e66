package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OutboundBudgetTest {

    @Test
    void admitsAnyWriteWhileTheLoopIsWithinItsShare() {
        OutboundBudget budget = new OutboundBudget(1000);
        budget.join();
        budget.join();

        assertThat(budget.admits(900, 100)).isTrue();
        budget.reserve(1000);
        assertThat(budget.unflushed()).isEqualTo(1000);
    }

    @Test
    void pastItsShareAdmitsOnlySessionsThatKeepUpOrHoldLessThanAnEqualPart() {
        OutboundBudget budget = new OutboundBudget(1000);
        for (int i = 0; i < 4; i++) {
            budget.join();
        }
        budget.reserve(990);

        assertThat(budget.admits(0, 600)).as("nothing pending: its socket keeps up").isTrue();
        assertThat(budget.admits(100, 150)).as("within its equal part, 250").isTrue();
        assertThat(budget.admits(100, 151)).as("past its equal part").isFalse();
        assertThat(budget.admits(800, 20)).as("the one holding most").isFalse();
    }

    @Test
    void bytesTakenBySocketsAndSessionsThatEndGiveTheirRoomBack() {
        OutboundBudget budget = new OutboundBudget(1000);
        budget.join();
        budget.join();
        budget.reserve(1000);
        assertThat(budget.admits(400, 200)).isFalse();

        budget.leave(); // an equal part is now the whole share
        assertThat(budget.admits(400, 200)).isTrue();
        budget.release(500);
        assertThat(budget.unflushed()).isEqualTo(500);
        assertThat(budget.admits(900, 100)).isTrue();
    }

    @Test
    void refusesAShareOfNothing() {
        assertThatThrownBy(() -> new OutboundBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
