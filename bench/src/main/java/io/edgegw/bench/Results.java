package io.edgegw.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** What the scenarios measured, one record per run or step; medians over runs. */
final class Results {

    /** One step of a fan-out ladder (scenarios a and c). Latencies in milliseconds, CPU in cores (CPU s per s). */
    record Step(String scenario, Target target, int rep, double rate, int clients, double offered, double published,
                double delivered, double p50, double p99, double p999, double max, long lost, long undelivered,
                long duplicates, long disconnects, long gapLines, double framesPerSec, double loadgenCpu,
                double serverCpu,
                double otherCpu, long serverRssKiB) {
        double serverMicrosPerDelivery() {
            return delivered <= 0 ? Double.NaN : serverCpu * 1e6 / delivered;
        }

        boolean saturated() {
            return delivered < 0.9 * offered || p99 > 1000 || lost > 0 || undelivered > 0 || disconnects > 0;
        }
    }

    /** Scenario b: idle connections, then a burst. */
    record Idle(Target target, int rep, int clients, int ready, double connectSeconds, long rssBeforeKiB,
                int halfReady, long rssHalfKiB, long rssAfterKiB, long rssAfterBurstKiB, int burst,
                double burstSeconds, double p50, double p99, double max, long lost, long undelivered,
                long duplicates) {
        /** RSS beyond the idle process, per connection: what the target is about. */
        double kibPerConnection() {
            return ready == 0 ? Double.NaN : (rssAfterKiB - rssBeforeKiB) / (double) ready;
        }

        /**
         * The slope from half the connections to all of them: what one more idle connection costs, without the
         * one-off costs the first connections pay (JIT-compiled code, heap pages first touched).
         */
        double marginalKiBPerConnection() {
            int added = ready - halfReady;
            return added <= 0 ? Double.NaN : (rssAfterKiB - rssHalfKiB) / (double) added;
        }
    }

    /** Scenario d: failover under load (gateway only). Times in milliseconds. */
    record Failover(int rep, int clients, double rate, String cutNode, double firstMedian, double firstP99,
                    double firstMax, int clientsWithoutDelivery, long lost, long undelivered, long duplicates,
                    long gapLines,
                    long disconnects, double p99, double max) {
    }

    final List<Step> steps = new ArrayList<>();
    final List<Idle> idles = new ArrayList<>();
    final List<Failover> failovers = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    static double median(Collection<Double> values) {
        List<Double> sorted = values.stream().filter(v -> !Double.isNaN(v)).sorted().toList();
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static <T> double median(Collection<T> rows, ToDoubleFunction<T> field) {
        return median(rows.stream().map(field::applyAsDouble).toList());
    }
}
