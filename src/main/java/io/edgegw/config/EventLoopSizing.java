package io.edgegw.config;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.vertx.VertxOptionsCustomizer;
import io.vertx.core.VertxOptions;

/**
 * One event loop per core, where Quarkus defaults to two: fan-out keeps its loops busy, and on a small pod twice as
 * many busy loops as cores only adds context switches (the benchmark measured less CPU per delivery with one per
 * core). An explicit {@code quarkus.vertx.event-loops-pool-size} wins.
 */
@Singleton
public class EventLoopSizing implements VertxOptionsCustomizer {

    static final String QUARKUS_KEY = "quarkus.vertx.event-loops-pool-size";

    @Override
    public void accept(VertxOptions options) {
        options.setEventLoopPoolSize(eventLoops());
    }

    /** The event loops Vert.x runs: the configured number, else one per core. */
    public static int eventLoops() {
        return ConfigProvider.getConfig().getOptionalValue(QUARKUS_KEY, Integer.class)
                .orElse(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }
}
