package io.edgegw.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.quarkus.runtime.StartupEvent;

/**
 * Values that would start a gateway unable to become healthy, refused at start with the key named: without this,
 * {@code gateway.upstream.connections=0} left the startup probe down for ever, a {@code min-connected} above the
 * connections kept readiness down, and a zero {@code event-loop-stall} failed liveness on any lag, each in a
 * restart loop with nothing in the log.
 */
@Singleton
public class ConfigChecks {

    void check(@Observes @Priority(1) StartupEvent event, GatewayConfig config) {
        List<String> problems = problems(config.upstream().connections(), config.upstream().minConnected(),
                config.health().eventLoopStall());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    static List<String> problems(int connections, int minConnected, Duration eventLoopStall) {
        List<String> problems = new ArrayList<>();
        if (connections < 1) {
            problems.add("gateway.upstream.connections must be at least 1: " + connections);
        }
        if (minConnected < 0 || minConnected > Math.max(connections, 0)) {
            problems.add("gateway.upstream.min-connected must be between 0 and gateway.upstream.connections ("
                    + connections + "): " + minConnected);
        }
        if (eventLoopStall.isZero() || eventLoopStall.isNegative()) {
            problems.add("gateway.health.event-loop-stall must be more than 0: " + eventLoopStall);
        }
        return problems;
    }
}
