package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * Runs the JavaScript test project in {@code src/test/js} with Node's test runner, so that the client's unit tests
 * and the browser tests belong to {@code mvn -B verify}. Missing tooling skips a test on a developer machine and
 * fails it under {@code CI=true}, where {@code .ci/run} has installed it.
 */
final class NodeTests {

    static final Path JS_PROJECT = Path.of("src", "test", "js").toAbsolutePath();
    static final Path ARTIFACTS = Path.of("target", "browser-tests").toAbsolutePath();
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    /** What a run left: its exit code (-1 when it was killed at the time limit) and its combined output. */
    record Result(int exitCode, boolean finished, String output) {

        /** Exit 0, and Node's summary says {@code passed} tests passed and none failed. */
        void assertPassed(int passed) {
            assertThat(finished).as("node finished in time; output:%n%s", output).isTrue();
            assertThat(exitCode).as("node's exit code; output:%n%s", output).isZero();
            assertThat(output).as("node's summary").contains("ℹ pass " + passed).contains("ℹ fail 0");
        }
    }

    private NodeTests() {
    }

    /** Node on the PATH, and for browser tests also playwright-core and Debian's Chromium. */
    static void requireTooling(boolean browser) {
        List<String> missing = new ArrayList<>();
        if (!nodeRuns()) {
            missing.add("node on the PATH");
        }
        if (browser && !Files.isRegularFile(JS_PROJECT.resolve("node_modules/playwright-core/package.json"))) {
            missing.add("src/test/js/node_modules/playwright-core (npm ci in src/test/js)");
        }
        if (browser && !Files.isExecutable(CHROMIUM)) {
            missing.add(CHROMIUM + " (apt-get install chromium)");
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "JavaScript test tooling missing: " + String.join(", ", missing) + "; .ci/run installs it";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message);
        }
        Assumptions.abort(message);
    }

    private static boolean nodeRuns() {
        try {
            Process process = new ProcessBuilder("node", "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@code node --test} on {@code arguments} in the JS project, with {@code env} added to the environment; the
     * output goes to {@code target/browser-tests/<name>.log} and to stdout. At the time limit the process and
     * everything it started (Chromium) are killed.
     */
    static Result run(String name, Duration limit, Map<String, String> env, String... arguments)
            throws IOException, InterruptedException {
        Files.createDirectories(ARTIFACTS);
        Path log = ARTIFACTS.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of("node", "--test", "--test-reporter=spec"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(JS_PROJECT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("ARTIFACT_DIR", ARTIFACTS.toString());
        builder.environment().putAll(env);
        Process process = builder.start();
        boolean finished = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log);
        System.out.println("---- node " + String.join(" ", arguments) + " ----\n" + output);
        return new Result(finished ? process.exitValue() : -1, finished, output);
    }
}
