package io.edgegw.observe;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds Debian's {@code prometheus} and {@code promtool} (package {@code prometheus}; {@code .ci/run} installs it)
 * and runs them. When one is missing the test fails under CI ({@code CI=true}) and is skipped elsewhere.
 */
final class PromTools {

    /** What a finished command printed, and its exit code. */
    record Result(int exitCode, String output) {
    }

    private PromTools() {
    }

    /** The path of {@code name} on the PATH; fails under CI, else skips the test, when it is not there. */
    static Path require(String name) {
        Optional<Path> found = find(name);
        if (found.isEmpty()) {
            String why = name + " is not installed (Debian package prometheus: apt-get install prometheus)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        return found.get();
    }

    static Optional<Path> find(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin"
                + File.pathSeparator + "/usr/local/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** Runs {@code promtool} with {@code args}, feeding it {@code stdin} (or nothing), and waits at most 60 s. */
    static Result promtool(String stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(require("promtool").toString());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            // the output is small; read it all, then the exit code
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("promtool " + String.join(" ", args) + " did not finish in 60 s");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("cannot run promtool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
