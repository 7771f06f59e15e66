package io.edgegw.testkit;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * The packaged gateway ({@code target/quarkus-app/quarkus-run.jar}) as its own process, for integration tests that
 * need a real process: SIGTERM, restarts. Runs the demo profile on free ports, so it has a cluster of its own.
 */
public final class GatewayProcess implements AutoCloseable {

    private final Process process;
    private final int httpPort;
    private final int managementPort;
    private final Path log;

    private GatewayProcess(Process process, int httpPort, int managementPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.log = log;
    }

    /** Starts the gateway with extra {@code -Dkey=value} settings and waits until it is ready. */
    public static GatewayProcess start(String... settings) throws IOException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("package the gateway first (mvn package): no " + jar);
        }
        int http = freePort();
        int management = freePort();
        int demoBase = freeRun(3);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.profile=demo", "-Dquarkus.http.port=" + http, "-Dquarkus.management.port=" + management,
                "-Dgateway.demo.base-port=" + demoBase,
                "-Dgateway.upstream.nodes=ws://127.0.0.1:" + demoBase + "/upstream,ws://127.0.0.1:" + (demoBase + 1)
                        + "/upstream,ws://127.0.0.1:" + (demoBase + 2) + "/upstream"));
        for (String setting : settings) {
            command.add("-D" + setting);
        }
        command.add("-jar");
        command.add(jar.toString());
        Path log = Files.createTempFile("gateway-process", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        GatewayProcess gateway = new GatewayProcess(process, http, management, log);
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !process.isAlive() || gateway.ready());
        if (!process.isAlive()) {
            throw new IllegalStateException("the gateway exited at start:\n" + gateway.output());
        }
        return gateway;
    }

    private boolean ready() {
        try {
            var connection = (java.net.HttpURLConnection) new java.net.URL(
                    "http://127.0.0.1:" + managementPort + "/q/health/ready").openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(1000);
            return connection.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    public String ws() {
        return "ws://127.0.0.1:" + httpPort + "/ws";
    }

    public String management(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM, as an orchestrator stops a pod. */
    public void terminate() {
        process.destroy();
    }

    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the gateway did not exit within " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        new File(log.toString()).delete();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The first of {@code count} consecutive free ports. */
    private static int freeRun(int count) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(30_000);
            boolean free = true;
            for (int i = 0; i < count && free; i++) {
                try (ServerSocket socket = new ServerSocket(base + i)) {
                    socket.setReuseAddress(true);
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no run of " + count + " free ports");
    }
}
