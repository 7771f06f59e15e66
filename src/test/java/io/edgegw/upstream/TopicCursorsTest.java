package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import org.junit.jupiter.api.Test;

class TopicCursorsTest {

    @Test
    void repeatsAtOrBelowTheCursorAreRefusedAndANewEpochStartsAfresh() {
        TopicCursors cursors = new TopicCursors(10, topic -> false);
        assertThat(cursors.accept("t", "e1", 5)).isTrue();
        assertThat(cursors.accept("t", "e1", 5)).isFalse();
        assertThat(cursors.accept("t", "e1", 4)).isFalse();
        assertThat(cursors.accept("t", "e2", 1)).isTrue();
        assertThat(cursors.get("t")).isEqualTo(new TopicCursors.Cursor("e2", 1));
    }

    @Test
    void pastItsCapacityTheLeastRecentlySeenTopicThatIsNoExactSubscriptionGoes() {
        Set<String> exact = Set.of("exact/a");
        TopicCursors cursors = new TopicCursors(3, exact::contains);
        cursors.accept("exact/a", "e", 1); // the eldest, but pinned: its cursor is its since after a move
        cursors.accept("room/1", "e", 1);
        cursors.accept("room/2", "e", 1);
        cursors.accept("room/1", "e", 2); // seen again: room/2 is now the least recent
        cursors.accept("room/3", "e", 1);
        assertThat(cursors.size()).isEqualTo(3);
        assertThat(cursors.get("exact/a")).isNotNull();
        assertThat(cursors.get("room/2")).as("forgotten").isNull();
        assertThat(cursors.get("room/1")).isNotNull();
        assertThat(cursors.get("room/3")).isNotNull();
        for (int i = 4; i < 1000; i++) {
            cursors.accept("room/" + i, "e", 1);
        }
        assertThat(cursors.size()).isEqualTo(3);
        assertThat(cursors.get("exact/a")).isNotNull();
    }
}
