package io.edgegw.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The four scenarios of issue 6. Each run starts a fresh server process (gateway or nats-server) and a fresh
 * upstream side, connects its clients, measures, and stops everything. Driven from the main thread.
 */
final class Scenarios {

    private final Options o;
    private final Results results;
    private final Path logs;
    private int jfrRuns;

    Scenarios(Options options, Results results) {
        this.o = options;
        this.results = results;
        this.logs = options.results.resolve("logs");
    }

    // ---------------------------------------------------------------- a and c: fan-out ladders

    /** A ladder of rates against one server: {@code clients} clients, client i on topic {@code i % topics}. */
    void ladder(String scenario, Target target, int rep, int clients, int topics, double[] rates)
            throws IOException, InterruptedException {
        log("%s: %s run %d: %d clients on %d topic(s)", scenario, target.label, rep, clients, topics);
        try (Upstream up = target == Target.GATEWAY ? Upstream.cluster(topics, 1, false, 64) : Upstream.forNats(topics);
             ServerProcess server = start(target, up, scenario + "-" + rep);
             ClientGroup group = new ClientGroup(target, "127.0.0.1", server.clientPort, o.clientLoops, o.browserHeaders)) {
            ClientGroup.ConnectResult connected = group.connect(clients, i -> i % topics, o.connectConcurrency,
                    o.connectTimeoutSeconds * 1000L, server::isAlive);
            log("  connected %d/%d in %.1f s (%d failed)", connected.ready(), clients, connected.millis() / 1000,
                    connected.failed());
            if (!server.isAlive() || connected.ready() < clients) {
                results.notes.add(String.format(Locale.ROOT, "%s, %s run %d: only %d of %d clients connected%s",
                        scenario, target.label, rep, connected.ready(), clients,
                        server.isAlive() ? "" : "; the server died (see logs/)"));
                if (!server.isAlive()) {
                    return;
                }
            }
            Publisher publisher = up.publisher();
            double perMessage = (double) clients / topics;
            double preheat = Math.min(o.preheatRate * (scenario.equals("a") ? 1 : topics / 10.0), rates[0]);
            publisher.run(preheat, nanos(o.preheatSeconds), Long.MAX_VALUE).join();
            drain(group, o.drainSeconds);
            long lostBefore = group.snapshot(publisher.heads()).lost;
            int saturatedSteps = 0;
            for (double rate : rates) {
                int reconnected = group.reconnectClosed(o.connectConcurrency, o.connectTimeoutSeconds * 1000L,
                        server::isAlive);
                if (reconnected > 0) {
                    log("  reconnected %d clients dropped by the server", reconnected);
                    lostBefore = group.snapshot(publisher.heads()).lost;
                }
                Results.Step step = step(scenario, target, rep, server, up, group, rate, clients, perMessage,
                        lostBefore);
                lostBefore += step.lost();
                results.steps.add(step);
                log("  %-8s %7.0f msg/s  offered %,10.0f/s  delivered %,10.0f/s  p50 %7.2f  p99 %8.2f  p999 %8.2f"
                                + "  max %8.2f ms  lost %d  undelivered %d  dup %d  closed %d  frames/s %,.0f"
                                + "  cpu gen %.2f srv %.2f (%.3f µs/delivery) other %.2f",
                        target.label, rate, step.offered(), step.delivered(), step.p50(), step.p99(), step.p999(),
                        step.max(), step.lost(), step.undelivered(), step.duplicates(), step.disconnects(),
                        step.framesPerSec(),
                        step.loadgenCpu(), step.serverCpu(), step.serverMicrosPerDelivery(), step.otherCpu());
                if (!server.isAlive()) {
                    log("  %s died", target.label);
                    break;
                }
                // two saturated steps in a row: one alone may be a moment of other work on the machine
                saturatedSteps = step.saturated() ? saturatedSteps + 1 : 0;
                if (o.stopAtSaturation && saturatedSteps >= 2) {
                    break;
                }
            }
            server.metrics("gateway_messages_dropped_total", "gateway_messages_delivered_total",
                    "gateway_upstream_reconnects_total{").stream().filter(l -> !l.endsWith(" 0.0"))
                    .forEach(l -> log("  metric %s", l));
        }
    }

    private Results.Step step(String scenario, Target target, int rep, ServerProcess server, Upstream up,
                              ClientGroup group, double rate, int clients, double perMessage, long lostBefore)
            throws InterruptedException {
        Publisher publisher = up.publisher();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long windowStart = start + nanos(o.warmupSeconds);
        long windowEnd = windowStart + nanos(o.measureSeconds);
        group.window.set(windowStart, windowEnd);
        long closedBefore = group.snapshot(null).closed;
        long duration = windowEnd - System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        var run = publisher.run(rate, duration, Long.MAX_VALUE);
        sleepUntil(windowStart);
        long gen0 = loadgenCpu();
        long srv0 = server.cpuNanos();
        long all0 = Environment.machineBusyNanos();
        long pub0 = publisher.published();
        sleepUntil(windowEnd);
        long gen1 = loadgenCpu();
        long srv1 = server.cpuNanos();
        long all1 = Environment.machineBusyNanos();
        long pub1 = publisher.published();
        long rss = server.rssKiB();
        run.join();
        drain(group, o.drainSeconds);
        ContextStats.Snapshot s = group.snapshot(publisher.heads());
        double seconds = o.measureSeconds;
        Histogram h = s.latency;
        return new Results.Step(scenario, target, rep, rate, clients, rate * perMessage, (pub1 - pub0) / seconds,
                s.windowMessages / seconds, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)),
                ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), s.lost - lostBefore, s.undelivered, s.duplicates,
                s.closed - closedBefore, s.gapLines, s.windowFrames / seconds, (gen1 - gen0) / 1e9 / seconds,
                (srv1 - srv0) / 1e9 / seconds,
                Math.max(0, (all1 - all0) - (gen1 - gen0) - (srv1 - srv0)) / 1e9 / seconds, rss);
    }

    // ---------------------------------------------------------------- b: idle connections, then a burst

    /**
     * Connects scenario b's clients to a fresh server once, unmeasured. The connect figure is CPU-bound with the load
     * generator on the same cores, and a load generator whose own JIT is cold slowed its first measured run (always
     * the gateway's) by half again: 2.5-2.8 s against 1.3-1.8 s for its later runs.
     */
    void preheatConnects(Target target, int round) throws IOException, InterruptedException {
        log("b: %s preheat %d: %d clients connected, not measured", target.label, round, o.idleClients);
        try (Upstream up = target == Target.GATEWAY ? Upstream.cluster(1, 1, false, 64) : Upstream.forNats(1);
             ServerProcess server = start(target, up, "b-preheat-" + round, false);
             ClientGroup group = new ClientGroup(target, "127.0.0.1", server.clientPort, o.clientLoops, o.browserHeaders)) {
            ClientGroup.ConnectResult connected = group.connect(o.idleClients, i -> 0, o.connectConcurrency,
                    o.connectTimeoutSeconds * 1000L, server::isAlive);
            log("  connected %d/%d in %.2f s (not measured)", connected.ready(), o.idleClients,
                    connected.millis() / 1000);
        }
    }

    void idle(Target target, int rep) throws IOException, InterruptedException {
        log("b: %s run %d: %d idle clients, then a burst of %d messages", target.label, rep, o.idleClients, o.burst);
        try (Upstream up = target == Target.GATEWAY ? Upstream.cluster(1, 1, false, 64) : Upstream.forNats(1);
             ServerProcess server = start(target, up, "b-" + rep);
             ClientGroup group = new ClientGroup(target, "127.0.0.1", server.clientPort, o.clientLoops, o.browserHeaders)) {
            Thread.sleep(2000);
            long rssBefore = server.rssKiB();
            // in two halves, so the RSS slope between them gives the marginal cost of a connection
            int half = o.idleClients / 2;
            ClientGroup.ConnectResult first = group.connect(half, i -> 0, o.connectConcurrency,
                    o.connectTimeoutSeconds * 1000L, server::isAlive);
            Thread.sleep(1000);
            long rssHalf = server.rssKiB();
            ClientGroup.ConnectResult second = group.connect(o.idleClients - half, i -> 0, o.connectConcurrency,
                    o.connectTimeoutSeconds * 1000L, server::isAlive);
            // ready counts every ready client of the group: after the second half, all of them
            ClientGroup.ConnectResult connected = new ClientGroup.ConnectResult(o.idleClients,
                    second.ready(), first.failed() + second.failed(),
                    first.allDone() && second.allDone(), first.millis() + second.millis());
            Thread.sleep(3000);
            long rssAfter = server.rssKiB();
            if (!server.isAlive() || connected.ready() < o.idleClients) {
                results.notes.add(String.format(Locale.ROOT, "b, %s run %d: %d of %d clients connected in %.0f s%s",
                        target.label, rep, connected.ready(), o.idleClients, connected.millis() / 1000,
                        server.isAlive() ? "" : "; the server died (see logs/)"));
            }
            if (!server.isAlive()) {
                log("  %s died while clients connected (%d ready)", target.label, connected.ready());
                return;
            }
            log("  halves connected in %.2f s and %.2f s", first.millis() / 1000, second.millis() / 1000);
            log("  connected %d/%d in %.2f s (%d failed); RSS %d -> %d -> %d KiB: %.2f KiB per connection, %.2f from"
                            + " half to all", connected.ready(), o.idleClients, connected.millis() / 1000,
                    connected.failed(), rssBefore, rssHalf, rssAfter,
                    (rssAfter - rssBefore) / (double) Math.max(1, connected.ready()),
                    (rssAfter - rssHalf) / (double) Math.max(1, second.ready() - first.ready()));
            long start = System.nanoTime();
            group.window.set(start, start + nanos(120));
            long expected = (long) connected.ready() * o.burst;
            long before = group.receivedSoFar();
            up.publisher().run(o.burst * 1000.0, nanos(1), o.burst).join();
            long deadline = System.nanoTime() + nanos(30);
            long doneAt = 0;
            while (System.nanoTime() < deadline) {
                if (group.receivedSoFar() - before >= expected) {
                    doneAt = System.nanoTime();
                    break;
                }
                Thread.sleep(5);
            }
            drain(group, 1);
            ContextStats.Snapshot s = group.snapshot(up.publisher().heads());
            long rssBurst = server.rssKiB();
            Histogram h = s.latency;
            Results.Idle r = new Results.Idle(target, rep, o.idleClients, connected.ready(), connected.millis() / 1000,
                    rssBefore, first.ready(), rssHalf, rssAfter, rssBurst, o.burst, doneAt == 0 ? Double.NaN : (doneAt - start) / 1e9,
                    ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), s.lost,
                    s.undelivered, s.duplicates);
            results.idles.add(r);
            log("  burst: %d deliveries in %.3f s; p50 %.1f p99 %.1f max %.1f ms; lost %d undelivered %d dup %d;"
                            + " RSS after %d KiB", s.received, r.burstSeconds(), r.p50(), r.p99(), r.max(), r.lost(),
                    r.undelivered(), r.duplicates(), rssBurst);
        }
    }

    // ---------------------------------------------------------------- d: failover under load

    void failover(int rep) throws IOException, InterruptedException {
        log("d: gateway run %d: %d clients, %.0f msg/s, two nodes behind TCP cuts", rep, o.failoverSubscribers,
                o.failoverRate);
        try (Upstream up = Upstream.cluster(1, 2, true, 1_000_000);
             ServerProcess server = start(Target.GATEWAY, up, "d-" + rep);
             ClientGroup group = new ClientGroup(Target.GATEWAY, "127.0.0.1", server.clientPort, o.clientLoops, o.browserHeaders)) {
            ClientGroup.ConnectResult connected = group.connect(o.failoverSubscribers, i -> 0, o.connectConcurrency,
                    o.connectTimeoutSeconds * 1000L, server::isAlive);
            log("  connected %d/%d in %.1f s", connected.ready(), o.failoverSubscribers, connected.millis() / 1000);
            long start = System.nanoTime();
            long total = nanos(o.failoverBeforeSeconds + o.failoverAfterSeconds);
            group.window.set(start, start + total + nanos(10));
            var run = up.publisher().run(o.failoverRate, total, Long.MAX_VALUE);
            Thread.sleep((long) (o.failoverBeforeSeconds * 1000));
            int active = up.activeNode();
            String cutNode = active < 0 ? "none" : up.cluster.nodes.get(active).id;
            if (active >= 0) {
                group.window.cut = System.nanoTime();
                up.cluster.cuts.get(active).cut();
            }
            run.join();
            drain(group, o.drainSeconds);
            ContextStats.Snapshot s = group.snapshot(up.publisher().heads());
            List<Double> firsts = new ArrayList<>();
            int without = 0;
            for (long n : s.afterCut) {
                if (n < 0) {
                    without++;
                } else {
                    firsts.add(n / 1e6);
                }
            }
            firsts.sort(null);
            Histogram h = s.latency;
            Results.Failover r = new Results.Failover(rep, o.failoverSubscribers, o.failoverRate, cutNode,
                    Results.median(firsts), percentile(firsts, 99), percentile(firsts, 100),
                    without, s.lost, s.undelivered, s.duplicates, s.gapLines, s.closed, ms(h.getValueAtPercentile(99)),
                    ms(h.getMaxValue()));
            results.failovers.add(r);
            log("  cut node %s: first delivery after the cut median %.1f ms, p99 %.1f, max %.1f (%d clients without);"
                            + " lost %d undelivered %d dup %d gap lines %d closed %d", cutNode, r.firstMedian(),
                    r.firstP99(), r.firstMax(), without, s.lost, s.undelivered, s.duplicates, s.gapLines, s.closed);
            server.metrics("gateway_upstream_reconnects_total{").stream().filter(l -> !l.endsWith(" 0.0"))
                    .forEach(l -> log("  metric %s", l));
        }
    }

    // ---------------------------------------------------------------- helpers

    private ServerProcess start(Target target, Upstream up, String run) throws IOException, InterruptedException {
        return start(target, up, run, true);
    }

    /** {@code measured}: false for a preheat, which the JFR recording of the first gateway run skips. */
    private ServerProcess start(Target target, Upstream up, String run, boolean measured)
            throws IOException, InterruptedException {
        log("  load average before the run: %.2f", Environment.loadAverage());
        Path logFile = logs.resolve(target.name().toLowerCase(Locale.ROOT) + "-" + run + ".log");
        java.nio.file.Files.deleteIfExists(logFile);
        if (target == Target.NATS) {
            ServerProcess server = ServerProcess.nats(logs, logFile);
            up.connectNats(server.managementPort);
            return server;
        }
        List<String> jvm = new ArrayList<>(o.gatewayJvm);
        if (o.jfr && measured && jfrRuns++ == 0) {
            Path jfr = logs.resolve("gateway-" + run + ".jfr").toAbsolutePath();
            jvm.add("-XX:FlightRecorderOptions:stackdepth=256");
            jvm.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=" + profileSettings());
            log("  JFR recording of this gateway run: %s", jfr);
        }
        return ServerProcess.gateway(o.gatewayJar, jvm, up.cluster.urls(), logFile, o.gatewayProps, o.gatewayEnv);
    }

    /**
     * The JDK's "profile" JFR settings with Java execution sampled every 2 ms instead of 10-20 ms, so that a short
     * run gives enough samples to see where the gateway's time goes.
     */
    private Path profileSettings() throws IOException {
        Path source = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
        String settings = java.nio.file.Files.readString(source);
        settings = settings.replaceAll("(?s)(<event name=\"jdk\\.ExecutionSample\">.*?<setting name=\"period\"[^>]*>)"
                + "[^<]*(</setting>)", "$12 ms$2");
        Path target = logs.resolve("profile-2ms.jfc").toAbsolutePath();
        java.nio.file.Files.writeString(target, settings);
        return target;
    }

    /** Waits until the clients' received count stops growing (twice in a row over 200 ms) or the time is up. */
    private static void drain(ClientGroup group, double seconds) throws InterruptedException {
        long deadline = System.nanoTime() + nanos(seconds);
        long last = -1;
        int still = 0;
        while (System.nanoTime() < deadline && still < 2) {
            Thread.sleep(200);
            long now = group.receivedSoFar();
            still = now == last ? still + 1 : 0;
            last = now;
        }
    }

    private static long loadgenCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }

    static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "%tT " + format + "%n", prepend(System.currentTimeMillis(), args));
        System.out.flush();
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
