package io.edgegw.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.Scrape;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

/**
 * {@code deploy/}: the alert rules and the dashboard against a running gateway and a real Prometheus (Debian's
 * {@code prometheus} package; these tests fail under CI and are skipped elsewhere when it is missing).
 */
@QuarkusTest
@WithTestResource(ObservabilityClusterResource.class)
class DeployArtifactsTest {

    private static final Path RULES = Path.of("deploy/prometheus/gateway-alerts.yml");
    private static final Path RULES_TEST = Path.of("deploy/prometheus/gateway-alerts.test.yml");
    private static final Path DASHBOARD = Path.of("deploy/grafana/gateway-dashboard.json");

    /**
     * promtool parses the scrape (exit code 1 would be a parse error; 3 means lint findings only), and the gateway's
     * own metrics have no lint finding but one that the Prometheus client library causes: it writes a counter's
     * {@code # HELP} and {@code # TYPE} under the family name without {@code _total} (as OpenMetrics does) while
     * promtool's text parser looks for them under the sample name. The HELP is checked to be there. Findings on the
     * JVM, Netty and Vert.x binders' metrics are theirs.
     */
    @Test
    void promtoolAcceptsAScrapeOfTheGateway() {
        String scrape = Scrape.metrics();
        PromTools.Result result = PromTools.promtool(scrape, "check", "metrics");
        assertThat(result.exitCode()).as(result.output()).isIn(0, 3);
        assertThat(result.output()).as("parse errors").doesNotContain("error while linting");
        for (String finding : result.output().lines().filter(line -> line.startsWith("gateway_")).toList()) {
            String sample = finding.substring(0, finding.indexOf(' '));
            assertThat(finding).as("lint finding on a gateway metric").isEqualTo(sample + " no help text");
            assertThat(sample).endsWith("_total");
            String family = sample.substring(0, sample.length() - "_total".length());
            assertThat(scrape).contains("# TYPE " + family + " counter\n", "# HELP " + family + " ");
        }
    }

    @Test
    void theAlertRulesPassPromtoolCheckAndTheirUnitTests() {
        PromTools.Result check = PromTools.promtool(null, "check", "rules", RULES.toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 6 rules found");
        PromTools.Result test = PromTools.promtool(null, "test", "rules", RULES_TEST.toString());
        assertThat(test.exitCode()).as(test.output()).isZero();
    }

    @Test
    void theRulesCoverTheOperatorsAlerts() throws IOException {
        JsonNode rules = new YAMLMapper().readTree(RULES.toFile());
        List<String> alerts = new ArrayList<>();
        rules.path("groups").forEach(group -> group.path("rules").forEach(rule -> alerts.add(rule.path("alert").asText())));
        assertThat(alerts).containsExactlyInAnyOrder("GatewayNoConnectedUpstream", "GatewayUpstreamReconnectStorm",
                "GatewaySendsExpiring", "GatewaySlowConsumersDropped", "GatewayFanoutOverloaded",
                "GatewayFanoutLatencyHigh");
    }

    @Test
    void everyMetricThatTheDashboardAndTheRulesNameIsInAScrape() throws IOException {
        Set<String> used = new TreeSet<>();
        for (String expression : dashboardExpressions()) {
            used.addAll(PromQlNames.of(expression));
        }
        int fromDashboard = used.size();
        for (String expression : ruleExpressions()) {
            used.addAll(PromQlNames.of(expression));
        }
        assertThat(fromDashboard).isGreaterThan(15);
        assertThat(used).contains("gateway_upstream_connections", "gateway_fanout_latency_seconds_bucket");
        Set<String> scraped = PrometheusText.scrape().names();
        assertThat(scraped).containsAll(used);
    }

    @Test
    void aRealPrometheusScrapesTheGatewayAndAnswersPromQl(@TempDir Path dir) throws Exception {
        Path prometheus = PromTools.require("prometheus");
        int port = freePort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: edge-gateway
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(RULES.toAbsolutePath(), GatewayUrls.managementPort()));
        Path log = dir.resolve("prometheus.log");
        Process process = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String api = "http://127.0.0.1:" + port + "/api/v1/";
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(process.isAlive()).as(() -> readLog(log)).isTrue();
                Response response = RestAssured.given()
                        .queryParam("query", "gateway_upstream_connections{state=\"connected\"}").get(api + "query");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.jsonPath().getString("status")).isEqualTo("success");
                List<Map<String, Object>> result = response.jsonPath().getList("data.result");
                assertThat(result).hasSize(1);
                assertThat(response.jsonPath().getString("data.result[0].metric.job")).isEqualTo("edge-gateway");
                assertThat(response.jsonPath().getString("data.result[0].value[1]"))
                        .isEqualTo(String.valueOf(ObservabilityClusterResource.CONNECTIONS));
            });
            // the rules loaded into it, and none of them fires against a healthy gateway
            Response rules = RestAssured.get(api + "rules");
            assertThat(rules.jsonPath().getList("data.groups[0].rules")).hasSize(6);
            assertThat(rules.jsonPath().getList("data.groups[0].rules.health")).containsOnly("ok");
        } finally {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static List<String> dashboardExpressions() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("title").asText()).isNotBlank();
        List<String> expressions = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> panel.path("targets")
                .forEach(target -> expressions.add(target.path("expr").asText())));
        dashboard.path("templating").path("list").forEach(variable -> {
            String query = variable.path("query").path("query").asText("");
            if (query.startsWith("label_values(")) {
                expressions.add(query.substring("label_values(".length(), query.lastIndexOf(',')));
            }
        });
        assertThat(expressions).doesNotContain("");
        return expressions;
    }

    private static List<String> ruleExpressions() throws IOException {
        JsonNode rules = new YAMLMapper().readTree(RULES.toFile());
        List<String> expressions = new ArrayList<>();
        rules.path("groups").forEach(group -> group.path("rules").forEach(rule -> expressions.add(rule.path("expr").asText())));
        return expressions;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
