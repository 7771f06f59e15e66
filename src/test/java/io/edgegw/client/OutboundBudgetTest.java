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
    void pastItsShareRefusesSessionsHoldingMoreThanTwiceTheMean() {
        OutboundBudget budget = new OutboundBudget(1000);
        for (int i = 0; i < 4; i++) {
            budget.join();
        }
        budget.reserve(1200); // a mean of 300

        assertThat(budget.admits(0, 600)).as("nothing pending: its socket keeps up").isTrue();
        assertThat(budget.admits(300, 100)).as("lagging like the others").isTrue();
        assertThat(budget.admits(500, 100)).as("up to twice the mean").isTrue();
        assertThat(budget.admits(500, 101)).as("past twice the mean").isFalse();
    }

    @Test
    void pastTwiceItsShareAdmitsOnlySessionsWithNothingPending() {
        OutboundBudget budget = new OutboundBudget(1000);
        for (int i = 0; i < 4; i++) {
            budget.join();
        }
        budget.reserve(1990);

        assertThat(budget.admits(1, 20)).as("anything pending").isFalse();
        assertThat(budget.admits(0, 20)).as("nothing pending").isTrue();
    }

    @Test
    void bytesTakenBySocketsAndSessionsThatEndGiveTheirRoomBack() {
        OutboundBudget budget = new OutboundBudget(1000);
        for (int i = 0; i < 3; i++) {
            budget.join();
        }
        budget.reserve(1200); // a mean of 400
        assertThat(budget.admits(850, 10)).isFalse();

        budget.leave(); // a mean of 600
        assertThat(budget.admits(850, 10)).isTrue();
        budget.release(500);
        assertThat(budget.unflushed()).isEqualTo(700);
        assertThat(budget.admits(900, 300)).as("within the share again").isTrue();
    }

    @Test
    void refusesAShareOfNothing() {
        assertThatThrownBy(() -> new OutboundBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
