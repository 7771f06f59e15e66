package io.edgegw.observe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlNamesTest {

    @Test
    void findsTheMetricsOfAnExpressionAndNothingElse() {
        assertThat(PromQlNames.of("histogram_quantile(0.99, sum by (job, le) (rate(gateway_fanout_latency_seconds_bucket"
                + "{job=~\"$job\", instance=~\"$instance\"}[$__rate_interval]))) > 0.1"))
                .containsExactly("gateway_fanout_latency_seconds_bucket");
        assertThat(PromQlNames.of("sum(a_total{x=\"y\"}) / on (instance) group_left b + 1e3 and bool c offset 5m"))
                .containsExactlyInAnyOrder("a_total", "b", "c");
        assertThat(PromQlNames.of("max by (instance) (gateway_event_loop_lag_seconds)"))
                .containsExactly("gateway_event_loop_lag_seconds");
    }
}
