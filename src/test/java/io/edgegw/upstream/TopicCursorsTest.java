package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicCursorsTest {

    @Test
    void repeatsAtOrBelowTheCursorAreRefusedAndANewEpochStartsAfresh() {
        TopicCursors cursors = new TopicCursors(10);
        assertThat(cursors.accept("t", "e1", 5, true)).isTrue();
        assertThat(cursors.accept("t", "e1", 5, true)).isFalse();
        assertThat(cursors.accept("t", "e1", 4, false)).isFalse();
        assertThat(cursors.accept("t", "e2", 1, true)).isTrue();
        assertThat(cursors.get("t")).isEqualTo(new TopicCursors.Cursor("e2", 1));
    }

    @Test
    void topicsSeenThroughPatternsAreBoundedLeastRecentFirstWhileExactSubscriptionsKeepTheirs() {
        TopicCursors cursors = new TopicCursors(3);
        for (int i = 0; i < 1000; i++) {
            cursors.accept("exact/" + i, "e", 1, true); // each is its topic's since after a move: never dropped
        }
        cursors.accept("room/1", "e", 1, false);
        cursors.accept("room/2", "e", 1, false);
        cursors.accept("room/3", "e", 1, false);
        cursors.accept("room/1", "e", 2, false); // seen again: room/2 is now the least recent
        cursors.accept("room/4", "e", 1, false);
        assertThat(cursors.get("room/2")).as("forgotten").isNull();
        assertThat(cursors.get("room/1")).isEqualTo(new TopicCursors.Cursor("e", 2));
        assertThat(cursors.get("room/3")).isNotNull();
        assertThat(cursors.get("room/4")).isNotNull();
        assertThat(cursors.size()).isEqualTo(1003);

        cursors.accept("exact/7", "e", 2, false); // its exact subscription ended, a pattern still brings it
        assertThat(cursors.get("exact/7")).isEqualTo(new TopicCursors.Cursor("e", 2));
        assertThat(cursors.size()).as("moved, not copied; room/3 made room for it").isEqualTo(1002);
    }
}
