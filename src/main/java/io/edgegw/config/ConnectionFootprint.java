package io.edgegw.config;

import jakarta.inject.Singleton;

import io.quarkus.vertx.VertxOptionsCustomizer;
import io.vertx.core.VertxOptions;

/**
 * Sets Mutiny's small-buffer size ({@code mutiny.buffer-size.s}) to its minimum, 16, unless the JVM was given
 * one. WebSockets Next gives every connection an unbounded Mutiny queue whose first chunk has that many slots:
 * Mutiny's default of 256 costs about 1 KiB per idle browser, a tenth of what a connection needs in all. The queue
 * still grows when it must; the gateway uses no Mutiny operator that buffers by that size. Runs when Vert.x is
 * created, before the first connection.
 */
@Singleton
public class ConnectionFootprint implements VertxOptionsCustomizer {

    static final String MUTINY_SMALL_BUFFER = "mutiny.buffer-size.s";

    @Override
    public void accept(VertxOptions options) {
        if (System.getProperty(MUTINY_SMALL_BUFFER) == null) {
            System.setProperty(MUTINY_SMALL_BUFFER, "16");
        }
    }
}
