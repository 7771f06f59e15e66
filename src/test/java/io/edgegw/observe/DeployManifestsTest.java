package io.edgegw.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** The Kubernetes manifests and the Dockerfile of {@code deploy/}: they parse and agree with the gateway's ports and keys. */
class DeployManifestsTest {

    private static final Path K8S = Path.of("k8s");

    @Test
    void theDeploymentProbesTheManagementPortAndOutwaitsTheDrain() throws IOException {
        JsonNode deployment = single("deployment.yaml");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        assertThat(container.path("ports").findValuesAsText("containerPort")).containsExactly("8080", "9000");
        assertThat(container.path("ports").findValuesAsText("name")).containsExactly("http", "management");
        assertThat(container.path("startupProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/started");
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/ready");
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertThat(container.path(probe).path("httpGet").path("port").asText()).as(probe).isEqualTo("management");
        }
        Properties properties = new Properties();
        properties.load(new StringReader(single("configmap.yaml").path("data").path("application.properties").asText()));
        Duration drain = Duration.parse("PT" + properties.getProperty("gateway.shutdown.drain-period").toUpperCase());
        assertThat(pod.path("terminationGracePeriodSeconds").asLong()).isGreaterThan(drain.toSeconds());
        assertThat(properties).containsKeys("gateway.upstream.nodes", "gateway.upstream.min-connected");
        assertThat(container.path("volumeMounts").findValuesAsText("mountPath")).contains("/deployments/config");
    }

    @Test
    void theServicesKeepTheManagementPortOffTheBrowserServiceAndShowAHeadlessNodeService() throws IOException {
        List<JsonNode> services = all("service.yaml");
        JsonNode browsers = byName(services, "edge-gateway");
        assertThat(browsers.path("spec").path("ports").findValuesAsText("targetPort")).containsExactly("http");
        assertThat(services).as("the example node Service is not applied with the gateway")
                .noneMatch(service -> service.path("metadata").path("name").asText().equals("cluster-nodes"));
        JsonNode nodes = single("cluster-nodes.example.yaml");
        assertThat(nodes.path("spec").path("clusterIP").asText()).isEqualTo("None");
        assertThat(single("pdb.yaml").path("kind").asText()).isEqualTo("PodDisruptionBudget");
        for (JsonNode resource : single("kustomization.yaml").path("resources")) {
            assertThat(K8S.resolve(resource.asText())).exists();
        }
    }

    @Test
    void theSecretsTheDeploymentReadsAreTheGatewaysKeys() throws IOException {
        JsonNode container = single("deployment.yaml").path("spec").path("template").path("spec").path("containers")
                .get(0);
        List<String> variables = container.path("env").findValuesAsText("name");
        for (String key : List.of("gateway.upstream.token", "gateway.session.secret", "gateway.admin.token")) {
            assertThat(variables).contains(key.replaceAll("[^a-zA-Z0-9]", "_").toUpperCase()); // Quarkus' mapping
        }
    }

    @Test
    void withoutACpuLimitTheJvmIsToldTheCoresItUses() throws IOException {
        JsonNode container = single("deployment.yaml").path("spec").path("template").path("spec").path("containers")
                .get(0);
        assertThat(container.path("resources").path("limits").has("cpu")).as("a CPU limit").isFalse();
        assertThat(container.path("env").findValuesAsText("value")).as("JAVA_OPTS_APPEND")
                .anyMatch(value -> value.contains("-XX:ActiveProcessorCount="));
    }

    @Test
    void theDockerfileRunsTheFastJarOnBothPortsAsPidOne() throws IOException {
        String dockerfile = Files.readString(Path.of("deploy/Dockerfile"));
        assertThat(dockerfile).contains("EXPOSE 8080 9000", "target/quarkus-app/lib/", "quarkus-run.jar",
                "-XX:+UseSerialGC", "-Xss512k", "-XX:MaxRAMPercentage", "exec java");
        assertThat(Files.readString(Path.of(".dockerignore"))).contains("!target/quarkus-app/");
    }

    private static JsonNode single(String file) throws IOException {
        List<JsonNode> documents = all(file);
        assertThat(documents).as(file).hasSize(1);
        return documents.get(0);
    }

    private static List<JsonNode> all(String file) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class)
                .readValues(K8S.resolve(file).toFile())) {
            it.forEachRemaining(documents::add);
        }
        return documents;
    }

    private static JsonNode byName(List<JsonNode> resources, String name) {
        return resources.stream().filter(r -> r.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no resource named " + name));
    }
}
