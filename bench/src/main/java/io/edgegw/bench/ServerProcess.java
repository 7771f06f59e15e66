package io.edgegw.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server under test in its own process: the packaged gateway or nats-server. Knows its pid, so that the benchmark
 * reads its resident memory and CPU time from /proc.
 */
final class ServerProcess implements AutoCloseable {

    private static final long CLOCK_TICK_NANOS = 10_000_000L;   // USER_HZ = 100 on Linux

    final Target target;
    final int clientPort;
    final int managementPort;
    private final Process process;

    private ServerProcess(Target target, Process process, int clientPort, int managementPort) {
        this.target = target;
        this.process = process;
        this.clientPort = clientPort;
        this.managementPort = managementPort;
    }

    static ServerProcess gateway(Path jar, List<String> jvmOptions, String upstreamUrls, Path logFile,
                                 List<String> extraProperties, Map<String, String> environment)
            throws IOException, InterruptedException {
        int[] ports = freePorts(2);
        int http = ports[0];
        int management = ports[1];
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dgateway.upstream.nodes=" + upstreamUrls);
        command.add("-Dquarkus.http.host=127.0.0.1");
        command.add("-Dquarkus.http.port=" + http);
        command.add("-Dquarkus.management.host=127.0.0.1");
        command.add("-Dquarkus.management.port=" + management);
        command.addAll(extraProperties);
        command.add("-jar");
        command.add(jar.toString());
        Process process = start(command, logFile, environment);
        ServerProcess server = new ServerProcess(Target.GATEWAY, process, http, management);
        server.awaitHttp(URI.create("http://127.0.0.1:" + management + "/q/health/ready"), 60);
        return server;
    }

    static ServerProcess nats(Path workDir, Path logFile) throws IOException, InterruptedException {
        int[] ports = freePorts(2);
        int client = ports[0];
        int ws = ports[1];
        Path config = workDir.resolve("nats-" + ws + ".conf");
        Files.writeString(config, "listen: 127.0.0.1:" + client + "\n"
                + "websocket {\n  host: 127.0.0.1\n  port: " + ws + "\n  no_tls: true\n}\n");
        Process process = start(List.of("nats-server", "-c", config.toString()), logFile, Map.of());
        ServerProcess server = new ServerProcess(Target.NATS, process, ws, client);
        server.awaitPort(ws, 30);
        server.awaitPort(client, 30);
        return server;
    }

    private static Process start(List<String> command, Path logFile, Map<String, String> environment)
            throws IOException {
        Files.createDirectories(logFile.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().putAll(environment);
        return builder.start();
    }

    long pid() {
        return process.pid();
    }

    /** Resident set size in KiB (VmRSS of /proc/<pid>/status). */
    long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** User plus system CPU time of the process, in nanoseconds (/proc/<pid>/stat). */
    long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * CLOCK_TICK_NANOS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Prometheus lines of the gateway whose name starts with one of the prefixes (empty for the peer). */
    List<String> metrics(String... prefixes) {
        if (target != Target.GATEWAY) {
            return List.of();
        }
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/q/metrics")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            List<String> lines = new ArrayList<>();
            for (String line : response.body().split("\n")) {
                for (String prefix : prefixes) {
                    if (line.startsWith(prefix)) {
                        lines.add(line);
                    }
                }
            }
            return lines;
        } catch (IOException e) {
            return List.of("metrics unavailable: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private void awaitHttp(URI uri, int seconds) throws InterruptedException, IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(target.label + " exited with " + process.exitValue() + " while starting");
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        close();
        throw new IOException(target.label + " not ready at " + uri + " after " + seconds + " s");
    }

    private void awaitPort(int port, int seconds) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(target.label + " exited with " + process.exitValue() + " while starting");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        close();
        throw new IOException(target.label + " not listening on " + port + " after " + seconds + " s");
    }

    /**
     * Ports free on 127.0.0.1, all different: each is held until all are chosen (one at a time, the kernel may hand
     * out a port it has just taken back: a gateway once got one port for both its servers and never became ready).
     */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }

    /** Stops the process (SIGTERM, then SIGKILL after 15 s) and waits for it. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
