package io.edgegw.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Command-line flags ({@code --name value}); {@code --mode quick} sets short, single-run defaults for a smoke test. */
final class Options {

    String mode = "full";
    Set<String> scenarios = new TreeSet<>(List.of("a", "b", "c", "d"));
    Set<Target> targets = new TreeSet<>(List.of(Target.GATEWAY, Target.NATS));
    int reps = 5;
    int otherReps = 3;
    Path gatewayJar = Path.of("target/quarkus-app/quarkus-run.jar");
    /**
     * deploy/Dockerfile's JAVA_OPTS with a fixed heap in place of MaxRAMPercentage: comparable memory figures. 192 MiB
     * holds 10,000 idle sessions (about 90 MiB live) with room to collect; 96 MiB did not (full GCs back to back).
     */
    List<String> gatewayJvm = List.of("-XX:+UseSerialGC", "-Xss512k", "-XX:+ExitOnOutOfMemoryError", "-Xms192m",
            "-Xmx192m");
    List<String> gatewayProps = new ArrayList<>();
    /** Environment variables of the gateway's process, besides the load generator's own. */
    Map<String, String> gatewayEnv = new LinkedHashMap<>();
    Path results = Path.of("bench/results");
    int clientLoops = Runtime.getRuntime().availableProcessors();
    int connectConcurrency = 256;
    int connectTimeoutSeconds = 180;

    // (a) one topic, rising rates
    int subscribers = 1000;
    double[] rates = {100, 300, 600, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000};
    double warmupSeconds = 2;
    double measureSeconds = 5;
    double drainSeconds = 5;
    double preheatSeconds = 5;
    /** Unmeasured connect rounds of scenario b per server before its runs: the load generator's own JIT warm-up. */
    int preheatConnects = 1;
    double preheatRate = 300;
    boolean stopAtSaturation = true;

    // (b) idle connections then a burst
    int idleClients = 10_000;
    int burst = 20;

    // (c) many topics
    int topics = 1000;
    int subscribersPerTopic = 10;
    double[] topicRates = {5_000, 10_000, 20_000, 30_000, 50_000, 80_000};

    // (d) failover
    int failoverSubscribers = 1000;
    double failoverRate = 200;
    double failoverBeforeSeconds = 3;
    double failoverAfterSeconds = 4;

    boolean jfr;
    /** Clients send the headers a browser sends with its upgrade (Chrome's), not only the handshake's own. */
    boolean browserHeaders;

    static Options parse(String[] args) {
        Options o = new Options();
        List<String> list = Arrays.asList(args);
        if (list.contains("--mode") && "quick".equals(value(list, "--mode"))) {
            o.quick();
        }
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (!flag.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + flag);
            }
            if (flag.equals("--jfr")) {
                o.jfr = true;
                continue;
            }
            if (flag.equals("--browser-headers")) {
                o.browserHeaders = true;
                continue;
            }
            if (flag.equals("--no-stop-at-saturation")) {
                o.stopAtSaturation = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String v = args[++i];
            switch (flag) {
                case "--mode" -> o.mode = v;
                case "--scenarios" -> o.scenarios = new TreeSet<>(Arrays.asList(v.split(",")));
                case "--targets" -> o.targets = new TreeSet<>(Arrays.stream(v.split(","))
                        .map(t -> t.startsWith("nats") ? Target.NATS : Target.GATEWAY).toList());
                case "--reps" -> o.reps = Integer.parseInt(v);
                case "--other-reps" -> o.otherReps = Integer.parseInt(v);
                case "--gateway-jar" -> o.gatewayJar = Path.of(v);
                case "--gateway-jvm" -> o.gatewayJvm = List.of(v.trim().split("\\s+"));
                case "--gateway-prop" -> o.gatewayProps.add("-D" + v);
                case "--gateway-env" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--gateway-env needs NAME=value, not " + v);
                    }
                    o.gatewayEnv.put(v.substring(0, eq), v.substring(eq + 1));
                }
                case "--results" -> o.results = Path.of(v);
                case "--client-loops" -> o.clientLoops = Integer.parseInt(v);
                case "--connect-concurrency" -> o.connectConcurrency = Integer.parseInt(v);
                case "--connect-timeout" -> o.connectTimeoutSeconds = Integer.parseInt(v);
                case "--subscribers" -> o.subscribers = Integer.parseInt(v);
                case "--rates" -> o.rates = doubles(v);
                case "--warmup" -> o.warmupSeconds = Double.parseDouble(v);
                case "--measure" -> o.measureSeconds = Double.parseDouble(v);
                case "--drain" -> o.drainSeconds = Double.parseDouble(v);
                case "--preheat" -> o.preheatSeconds = Double.parseDouble(v);
                case "--idle-clients" -> o.idleClients = Integer.parseInt(v);
                case "--burst" -> o.burst = Integer.parseInt(v);
                case "--preheat-connects" -> o.preheatConnects = Integer.parseInt(v);
                case "--topics" -> o.topics = Integer.parseInt(v);
                case "--subscribers-per-topic" -> o.subscribersPerTopic = Integer.parseInt(v);
                case "--topic-rates" -> o.topicRates = doubles(v);
                case "--failover-subscribers" -> o.failoverSubscribers = Integer.parseInt(v);
                case "--failover-rate" -> o.failoverRate = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        return o;
    }

    private void quick() {
        mode = "quick";
        reps = 1;
        otherReps = 1;
        rates = new double[] {300, 1000, 2000, 4000, 6000};
        connectTimeoutSeconds = 60;
        warmupSeconds = 1;
        measureSeconds = 2;
        drainSeconds = 3;
        preheatSeconds = 2;
        burst = 10;
        topicRates = new double[] {10_000, 30_000};
        failoverBeforeSeconds = 2;
        failoverAfterSeconds = 3;
    }

    private static String value(List<String> list, String flag) {
        int i = list.indexOf(flag);
        return i + 1 < list.size() ? list.get(i + 1) : null;
    }

    private static double[] doubles(String v) {
        return Arrays.stream(v.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
}
