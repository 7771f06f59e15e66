package io.edgegw.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Writes the results as Markdown (medians, ratios to the peer), a CSV of every run, and the SVG charts. */
final class Report {

    private final Options o;
    private final Results r;

    Report(Options options, Results results) {
        this.o = options;
        this.r = results;
    }

    /** Writes results[-quick].md, runs[-quick].csv and the charts; returns the Markdown. */
    String write(double elapsedSeconds) throws IOException {
        String suffix = "quick".equals(o.mode) ? "-quick" : "";
        Files.createDirectories(o.results);
        List<String> charts = new ArrayList<>();
        if (hasSteps("a")) {
            String name = "fanout-" + o.subscribers + suffix + ".svg";
            Files.writeString(o.results.resolve(name), chart("a", "Fan-out to " + o.subscribers
                    + " subscribers of one topic"));
            charts.add(name);
        }
        if (hasSteps("c")) {
            String name = "topics-" + o.topics + suffix + ".svg";
            Files.writeString(o.results.resolve(name), chart("c", o.topics + " topics × " + o.subscribersPerTopic
                    + " subscribers"));
            charts.add(name);
        }
        String md = markdown(elapsedSeconds, charts);
        Files.writeString(o.results.resolve("results" + suffix + ".md"), md);
        Files.writeString(o.results.resolve("runs" + suffix + ".csv"), csv());
        return md;
    }

    private boolean hasSteps(String scenario) {
        return r.steps.stream().anyMatch(s -> s.scenario().equals(scenario));
    }

    private String chart(String scenario, String title) {
        List<Chart.Series> series = new ArrayList<>();
        for (Target t : o.targets) {
            List<double[]> points = new ArrayList<>();
            medians(scenario, t).forEach((rate, rows) -> points.add(new double[] {
                    Results.median(rows, Results.Step::offered), Results.median(rows, Results.Step::delivered),
                    Results.median(rows, Results.Step::p99)}));
            series.add(new Chart.Series(t.label, t == Target.GATEWAY ? "#1f63b4" : "#e8710a", points));
        }
        int reps = scenario.equals("a") ? o.reps : o.otherReps;
        return Chart.render(title, "medians of " + reps + " run(s) each, 100-byte messages, " + machine()
                + ", " + date(), series);
    }

    /** The steps of one scenario and server, grouped by publish rate (ascending). */
    private Map<Double, List<Results.Step>> medians(String scenario, Target target) {
        return r.steps.stream().filter(s -> s.scenario().equals(scenario) && s.target() == target)
                .collect(Collectors.groupingBy(Results.Step::rate, TreeMap::new, Collectors.toList()));
    }

    private String markdown(double elapsedSeconds, List<String> charts) {
        StringBuilder md = new StringBuilder();
        md.append("# Fan-out benchmark: gateway vs nats-server\n\n");
        md.append("- date: ").append(date()).append("\n");
        md.append("- machine: ").append(machine()).append("; load generator, gateway and peer on the same machine, "
                + "all traffic on 127.0.0.1\n");
        md.append("- mode: `").append(o.mode).append("`, ").append(o.reps).append(" run(s) per server for the "
                + "headline scenario, ").append(o.otherReps).append(" for the others, interleaved gateway/peer; "
                + "figures are medians over runs; total time ")
                .append(String.format(Locale.ROOT, "%.0f s", elapsedSeconds)).append("\n");
        md.append("- gateway: packaged `quarkus-run.jar`, JVM options `").append(String.join(" ", o.gatewayJvm))
                .append("`")
                .append(o.gatewayProps.isEmpty() ? "" : ", properties `" + String.join(" ", o.gatewayProps) + "`")
                .append(o.gatewayEnv.isEmpty() ? "" : ", environment `" + o.gatewayEnv.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "))
                        + "`")
                .append("; peer: ").append(Environment.natsVersion()).append(" with its WebSocket listener, default "
                + "settings\n");
        md.append("- load generator: one JVM (").append(Environment.javaVersion()).append(", `")
                .append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()))
                .append("`), ").append(o.clientLoops).append(" client event loops, Vert.x WebSocket clients reading "
                + "bytes only (no strings, no JSON), publisher in the same process (one clock for send and receive "
                + "times)\n\n");
        headline(md);
        for (String note : r.notes) {
            md.append("> ").append(note).append("\n\n");
        }
        if (hasSteps("a")) {
            md.append("## a. ").append(o.subscribers).append(" subscribers of one topic, rising rates\n\n");
            ladderTable(md, "a");
        }
        if (!r.idles.isEmpty()) {
            idleTable(md);
        }
        if (hasSteps("c")) {
            md.append("## c. ").append(o.topics).append(" topics × ").append(o.subscribersPerTopic)
                    .append(" subscribers\n\n");
            ladderTable(md, "c");
        }
        if (!r.failovers.isEmpty()) {
            failoverTable(md);
        }
        for (String chart : charts) {
            md.append("![").append(chart).append("](").append(chart).append(")\n\n");
        }
        md.append("Every run's figures: `runs").append("quick".equals(o.mode) ? "-quick" : "")
                .append(".csv`; server logs: `logs/`.\n");
        return md.toString();
    }

    private void headline(StringBuilder md) {
        md.append("## Headline\n\n| figure | gateway | nats-server | gateway / peer | target |\n");
        md.append("|---|---:|---:|---:|---|\n");
        if (hasSteps("a")) {
            double g = saturation(Target.GATEWAY);
            double n = saturation(Target.NATS);
            row(md, "deliveries/s at saturation, " + o.subscribers + " subscribers", human(g), human(n), ratio(g, n),
                    "≥ 1.0");
            double gs = sustained(Target.GATEWAY);
            double ns = sustained(Target.NATS);
            row(md, "highest offered deliveries/s sustained (delivered ≥ 90 %, p99 ≤ 1 s, nothing lost)", human(gs),
                    human(ns), ratio(gs, ns), "≥ 1.0");
            double g300 = p99At(Target.GATEWAY, 300_000);
            double n300 = p99At(Target.NATS, 300_000);
            row(md, "p99 latency at 300k deliveries/s (ms)", fixed(g300), fixed(n300), ratio(g300, n300), "≤ 1.0");
        }
        if (!r.idles.isEmpty()) {
            double gc = idleMedian(Target.GATEWAY, Results.Idle::connectSeconds);
            double nc = idleMedian(Target.NATS, Results.Idle::connectSeconds);
            row(md, "connect " + human(o.idleClients) + " clients (s)", fixed(gc), fixed(nc), ratio(gc, nc), "≤ 1.0");
            double gm = idleMedian(Target.GATEWAY, Results.Idle::kibPerConnection);
            double nm = idleMedian(Target.NATS, Results.Idle::kibPerConnection);
            row(md, "resident memory per idle connection (KiB)", fixed(gm), fixed(nm), ratio(gm, nm), "gateway ≤ 8");
            double gs = idleMedian(Target.GATEWAY, Results.Idle::marginalKiBPerConnection);
            double ns = idleMedian(Target.NATS, Results.Idle::marginalKiBPerConnection);
            row(md, "… of which one more connection costs (KiB, RSS slope from half to all)", fixed(gs), fixed(ns),
                    ratio(gs, ns), "");
        }
        if (!r.failovers.isEmpty()) {
            double f = Results.median(r.failovers, Results.Failover::firstMedian);
            long lost = r.failovers.stream().mapToLong(run -> run.lost() + run.undelivered()).sum();
            long dup = r.failovers.stream().mapToLong(Results.Failover::duplicates).sum();
            row(md, "failover: cut to first delivery, median over runs of the per-client median (ms)", fixed(f), "n/a",
                    "", "< 1000");
            row(md, "failover: messages lost / duplicated (all runs)", lost + " / " + dup, "n/a", "", "0 / 0");
        }
        md.append("\n");
        if (hasSteps("a")) {
            md.append(String.format(Locale.ROOT, "Other work on the machine during scenario a's measurement windows "
                            + "(median, in cores of %d): %s during gateway runs, %s during peer runs.%n%n",
                    Runtime.getRuntime().availableProcessors(), fixed(otherCpu(Target.GATEWAY)),
                    fixed(otherCpu(Target.NATS))));
        }
    }

    private static void row(StringBuilder md, String... cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    /** Median over runs of the highest delivered/s any step of that run reached. */
    private double saturation(Target target) {
        Map<Integer, Double> best = new TreeMap<>();
        r.steps.stream().filter(s -> s.scenario().equals("a") && s.target() == target)
                .forEach(s -> best.merge(s.rep(), s.delivered(), Math::max));
        return Results.median(best.values());
    }

    /** Median over runs of the highest offered rate of a step that did not saturate. */
    private double sustained(Target target) {
        Map<Integer, Double> best = new TreeMap<>();
        r.steps.stream().filter(s -> s.scenario().equals("a") && s.target() == target)
                .forEach(s -> best.merge(s.rep(), s.saturated() ? 0 : s.offered(), Math::max));
        return Results.median(best.values());
    }

    private double otherCpu(Target target) {
        return Results.median(r.steps.stream().filter(s -> s.scenario().equals("a") && s.target() == target)
                .map(Results.Step::otherCpu).toList());
    }

    private double p99At(Target target, double offered) {
        return Results.median(r.steps.stream().filter(s -> s.scenario().equals("a") && s.target() == target
                && Math.abs(s.offered() - offered) < 1).map(Results.Step::p99).toList());
    }

    private double idleMedian(Target target, java.util.function.ToDoubleFunction<Results.Idle> field) {
        return Results.median(r.idles.stream().filter(i -> i.target() == target).toList(), field);
    }

    private void ladderTable(StringBuilder md, String scenario) {
        md.append("Medians per offered rate. Latency in ms, publish to receive. CPU in cores (CPU-seconds per second; "
                + "the machine has ").append(Runtime.getRuntime().availableProcessors()).append("). "
                + "Lost: sequence numbers a client never saw while later ones arrived; undelivered: published but "
                + "not received when the drain after the step ended (still queued in a saturated server). "
                + "Frames/s: WebSocket frames the clients received (messages per frame = delivered / frames). "
                + "Server µs/delivery: the server's CPU time per delivered message (less sensitive to other load than "
                + "delivered/s). Other CPU: what the rest of the machine used meanwhile (anything above a few "
                + "hundredths means "
                + "other work competed for the cores and the figures of that step are low).\n\n");
        md.append("| offered/s | server | delivered/s | ratio | p50 | p99 | p99.9 | max | lost | undelivered | dup "
                + "| closed | frames/s | server CPU | server µs/delivery | load gen CPU | other CPU | server RSS MiB "
                + "| runs |\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        Map<Double, List<Results.Step>> byRate = new TreeMap<>();
        r.steps.stream().filter(s -> s.scenario().equals(scenario))
                .forEach(s -> byRate.computeIfAbsent(s.offered(), k -> new ArrayList<>()).add(s));
        byRate.forEach((offered, rows) -> {
            double peer = Results.median(rows.stream().filter(s -> s.target() == Target.NATS).toList(),
                    Results.Step::delivered);
            for (Target t : o.targets) {
                List<Results.Step> mine = rows.stream().filter(s -> s.target() == t).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                double delivered = Results.median(mine, Results.Step::delivered);
                row(md, human(offered), t.label, human(delivered),
                        t == Target.GATEWAY ? ratio(delivered, peer) : "",
                        fixed(Results.median(mine, Results.Step::p50)), fixed(Results.median(mine, Results.Step::p99)),
                        fixed(Results.median(mine, Results.Step::p999)), fixed(Results.median(mine, Results.Step::max)),
                        String.format(Locale.ROOT, "%.0f", Results.median(mine, s -> (double) s.lost())),
                        String.format(Locale.ROOT, "%.0f", Results.median(mine, s -> (double) s.undelivered())),
                        String.format(Locale.ROOT, "%.0f", Results.median(mine, s -> (double) s.duplicates())),
                        String.format(Locale.ROOT, "%.0f", Results.median(mine, s -> (double) s.disconnects())),
                        human(Results.median(mine, Results.Step::framesPerSec)),
                        fixed(Results.median(mine, Results.Step::serverCpu)),
                        String.format(Locale.ROOT, "%.3f", Results.median(mine, Results.Step::serverMicrosPerDelivery)),
                        fixed(Results.median(mine, Results.Step::loadgenCpu)),
                        fixed(Results.median(mine, Results.Step::otherCpu)),
                        String.format(Locale.ROOT, "%.0f", Results.median(mine, s -> s.serverRssKiB() / 1024.0)),
                        String.valueOf(mine.size()));
            }
        });
        md.append("\n");
        if (scenario.equals("a")) {
            md.append("Saturation per run (highest delivered/s of the ladder): ");
            for (Target t : o.targets) {
                Map<Integer, Double> best = new TreeMap<>();
                r.steps.stream().filter(s -> s.scenario().equals("a") && s.target() == t)
                        .forEach(s -> best.merge(s.rep(), s.delivered(), Math::max));
                md.append(t.label).append(" ").append(best.values().stream().map(Report::human)
                        .collect(Collectors.joining(", "))).append("; ");
            }
            md.append("\n\n");
        }
    }

    private void idleTable(StringBuilder md) {
        md.append("## b. ").append(human(o.idleClients)).append(" idle connections, then a burst of ").append(o.burst)
                .append(" messages to all\n\n");
        md.append("| server | connected | connect s | RSS before MiB | RSS after MiB | KiB per connection "
                + "| marginal KiB | burst done s "
                + "| burst p50 ms | burst p99 ms | burst max ms | lost | undelivered | dup | runs |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Target t : o.targets) {
            List<Results.Idle> mine = r.idles.stream().filter(i -> i.target() == t).toList();
            if (mine.isEmpty()) {
                continue;
            }
            row(md, t.label, String.format(Locale.ROOT, "%.0f", Results.median(mine, i -> (double) i.ready())),
                    fixed(Results.median(mine, Results.Idle::connectSeconds)),
                    fixed(Results.median(mine, i -> i.rssBeforeKiB() / 1024.0)),
                    fixed(Results.median(mine, i -> i.rssAfterKiB() / 1024.0)),
                    fixed(Results.median(mine, Results.Idle::kibPerConnection)),
                    fixed(Results.median(mine, Results.Idle::marginalKiBPerConnection)),
                    fixed(Results.median(mine, Results.Idle::burstSeconds)),
                    fixed(Results.median(mine, Results.Idle::p50)), fixed(Results.median(mine, Results.Idle::p99)),
                    fixed(Results.median(mine, Results.Idle::max)),
                    String.format(Locale.ROOT, "%.0f", Results.median(mine, i -> (double) i.lost())),
                    String.format(Locale.ROOT, "%.0f", Results.median(mine, i -> (double) i.undelivered())),
                    String.format(Locale.ROOT, "%.0f", Results.median(mine, i -> (double) i.duplicates())),
                    String.valueOf(mine.size()));
        }
        md.append("\n");
    }

    private void failoverTable(StringBuilder md) {
        md.append("## d. Failover under load (gateway only)\n\n");
        md.append("Two bench nodes sharing one log, each behind a TCP relay; while publishing, the relay of the node "
                + "that carries the topic drops every connection (no close frame) and refuses new ones. "
                + "\"First delivery\": per client, from the cut to the first message published after it.\n\n");
        md.append("| run | clients | msg/s | node cut | first delivery median ms | p99 ms | max ms | clients without "
                + "| lost | undelivered | dup | gap lines | closed | run p99 ms | run max ms |\n");
        md.append("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Results.Failover f : r.failovers) {
            row(md, String.valueOf(f.rep()), String.valueOf(f.clients()), human(f.rate()), f.cutNode(),
                    fixed(f.firstMedian()), fixed(f.firstP99()), fixed(f.firstMax()),
                    String.valueOf(f.clientsWithoutDelivery()), String.valueOf(f.lost()),
                    String.valueOf(f.undelivered()),
                    String.valueOf(f.duplicates()),
                    String.valueOf(f.gapLines()), String.valueOf(f.disconnects()), fixed(f.p99()), fixed(f.max()));
        }
        md.append("\nA peer figure would need a NATS cluster and client reconnects: not comparable, not measured.\n\n");
    }

    private String csv() {
        StringBuilder csv = new StringBuilder("kind,scenario,server,run,rate,clients,offered,published,delivered,"
                + "p50_ms,p99_ms,p999_ms,max_ms,lost,undelivered,dup,closed,gap_lines,frames_per_s,loadgen_cpu,"
                + "server_cpu,other_cpu,server_rss_kib\n");
        for (Results.Step s : r.steps) {
            csv.append(String.format(Locale.ROOT, "step,%s,%s,%d,%.0f,%d,%.0f,%.0f,%.0f,%.3f,%.3f,%.3f,%.3f,"
                            + "%d,%d,%d,%d,%d,%.0f,%.3f,%.3f,%.3f,%d%n", s.scenario(), s.target().label, s.rep(),
                    s.rate(), s.clients(), s.offered(), s.published(), s.delivered(), s.p50(), s.p99(), s.p999(),
                    s.max(), s.lost(), s.undelivered(),
                    s.duplicates(), s.disconnects(), s.gapLines(), s.framesPerSec(), s.loadgenCpu(), s.serverCpu(),
                    s.otherCpu(), s.serverRssKiB()));
        }
        csv.append("\nkind,server,run,clients,ready,connect_s,rss_before_kib,rss_after_kib,rss_after_burst_kib,"
                + "kib_per_connection,marginal_kib_per_connection,burst,burst_s,p50_ms,p99_ms,max_ms,lost,undelivered,dup\n");
        for (Results.Idle i : r.idles) {
            csv.append(String.format(Locale.ROOT,
                    "idle,%s,%d,%d,%d,%.3f,%d,%d,%d,%.3f,%.3f,%d,%.3f,%.3f,%.3f,%.3f,%d,%d,%d%n",
                    i.target().label, i.rep(), i.clients(), i.ready(), i.connectSeconds(), i.rssBeforeKiB(),
                    i.rssAfterKiB(), i.rssAfterBurstKiB(), i.kibPerConnection(), i.marginalKiBPerConnection(),
                    i.burst(), i.burstSeconds(), i.p50(),
                    i.p99(), i.max(), i.lost(), i.undelivered(), i.duplicates()));
        }
        csv.append("\nkind,run,clients,rate,cut_node,first_median_ms,first_p99_ms,first_max_ms,clients_without,"
                + "lost,undelivered,dup,"
                + "gap_lines,closed,p99_ms,max_ms\n");
        for (Results.Failover f : r.failovers) {
            csv.append(String.format(Locale.ROOT, "failover,%d,%d,%.0f,%s,%.3f,%.3f,%.3f,%d,%d,%d,%d,%d,%d,%.3f,%.3f%n",
                    f.rep(), f.clients(), f.rate(), f.cutNode(), f.firstMedian(), f.firstP99(), f.firstMax(),
                    f.clientsWithoutDelivery(), f.lost(), f.undelivered(), f.duplicates(), f.gapLines(),
                    f.disconnects(),
                    f.p99(),
                    f.max()));
        }
        return csv.toString();
    }

    static String human(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    static String fixed(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    static String ratio(double gateway, double peer) {
        if (Double.isNaN(gateway) || Double.isNaN(peer) || peer == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f×", gateway / peer);
    }

    private static String date() {
        return ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
    }

    private static String machine() {
        return Environment.machine();
    }
}
