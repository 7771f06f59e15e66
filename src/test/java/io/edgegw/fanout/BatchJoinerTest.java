package io.edgegw.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class BatchJoinerTest {

    private final BatchJoiner joiner = new BatchJoiner();

    @Test
    void joinsARunWithNewlines() {
        List<Object> parts = List.of("a", "b", "c");
        assertThat(joiner.join(parts, 0, 3)).isEqualTo("a\nb\nc");
        assertThat(joiner.join(parts, 1, 3)).isEqualTo("b\nc");
        assertThat(joiner.join(parts, 2, 3)).isEqualTo("c");
    }

    @Test
    void subscribersWithTheSameLinesShareOneFrame() {
        String one = "{\"n\":1}";
        String two = "{\"n\":2}";
        String first = joiner.join(List.of(one, two), 0, 2);
        String second = joiner.join(List.of(one, two), 0, 2);
        assertThat(second).isSameAs(first);
    }

    @Test
    void equalButDistinctLinesAreJoinedAfresh() {
        String first = joiner.join(List.of(new String("x"), "y"), 0, 2);
        String second = joiner.join(List.of(new String("x"), "y"), 0, 2);
        assertThat(second).isEqualTo(first).isNotSameAs(first);
        assertThat(joiner.join(List.of("x", "y", "z"), 0, 3)).isEqualTo("x\ny\nz");
    }
}
