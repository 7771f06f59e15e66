package io.edgegw.bench;

import java.nio.file.Files;
import java.util.List;

/**
 * Runs the fan-out benchmark of issue 6: the packaged gateway and nats-server, each in its own process, driven by
 * the same clients from this process; scenarios a (rising rates, the headline), b (idle connections, burst),
 * c (many topics), d (failover, gateway only). Gateway and peer runs are interleaved. See bench/README.md.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.targets.contains(Target.GATEWAY) && !Files.isRegularFile(o.gatewayJar)) {
            System.err.println("no gateway at " + o.gatewayJar
                    + ": run mvn -B package -DskipTests first (bench/run.sh does)");
            System.exit(2);
        }
        Files.createDirectories(o.results.resolve("logs"));
        Results results = new Results();
        Scenarios scenarios = new Scenarios(o, results);
        long started = System.nanoTime();
        List<Target> order = List.copyOf(o.targets);
        Scenarios.log("mode %s, scenarios %s, servers %s, %d run(s) for a, %d for b and c", o.mode, o.scenarios,
                order, o.reps, o.otherReps);
        try {
            if (o.scenarios.contains("a")) {
                for (int rep = 1; rep <= o.reps; rep++) {
                    for (Target t : rotate(order, rep)) {
                        int r = rep;
                        guard(results, () -> scenarios.ladder("a", t, r, o.subscribers, 1, o.rates));
                    }
                }
            }
            if (o.scenarios.contains("b")) {
                for (int round = 1; round <= o.preheatConnects; round++) {
                    for (Target t : order) {
                        int r = round;
                        guard(results, () -> scenarios.preheatConnects(t, r));
                    }
                }
                for (int rep = 1; rep <= o.otherReps; rep++) {
                    for (Target t : rotate(order, rep)) {
                        int r = rep;
                        guard(results, () -> scenarios.idle(t, r));
                    }
                }
            }
            if (o.scenarios.contains("c")) {
                for (int rep = 1; rep <= o.otherReps; rep++) {
                    for (Target t : rotate(order, rep)) {
                        int r = rep;
                        guard(results, () -> scenarios.ladder("c", t, r, o.topics * o.subscribersPerTopic, o.topics,
                                o.topicRates));
                    }
                }
            }
            if (o.scenarios.contains("d") && o.targets.contains(Target.GATEWAY)) {
                for (int rep = 1; rep <= o.otherReps; rep++) {
                    int r = rep;
                    guard(results, () -> scenarios.failover(r));
                }
            }
        } finally {
            String md = new Report(o, results).write((System.nanoTime() - started) / 1e9);
            System.out.println();
            System.out.println(md);
        }
        System.exit(0);
    }

    /** Alternates which server goes first, so that neither always runs on a machine the other just warmed. */
    private static List<Target> rotate(List<Target> order, int rep) {
        if (order.size() < 2 || rep % 2 == 1) {
            return order;
        }
        return List.of(order.get(1), order.get(0));
    }

    private interface Run {
        void run() throws Exception;
    }

    /** A run that fails is reported and noted in the results; the others go on. */
    private static void guard(Results results, Run run) {
        try {
            run.run();
        } catch (Exception | AssertionError e) {
            e.printStackTrace();
            results.notes.add("a run failed: " + e);
        }
    }
}
