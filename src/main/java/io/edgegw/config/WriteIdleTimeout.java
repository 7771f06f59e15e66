package io.edgegw.config;

import jakarta.inject.Singleton;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * Applies {@code quarkus.http.idle-timeout} to writes alone too: a browser link on which no write has completed for
 * that long is cut, even if the browser still sends. A browser that stopped reading (a frozen tab, a link whose
 * peer is gone) keeps the gateway's writes pending, and with them up to {@code gateway.client.max-outbound-bytes} of
 * frames; the plain idle timeout counts what it still sends as activity, and Vert.x starts its closing timeout for a
 * 4002 only once the close frame is written, which such a link never allows. A browser that follows the protocol
 * gets a {@code pong} for every {@code ping}, so it always sees a write within its heartbeat.
 */
@Singleton
public class WriteIdleTimeout implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        applyToWrites(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        applyToWrites(options);
    }

    static void applyToWrites(HttpServerOptions options) {
        // same unit as the idle timeout: the options hold one unit for all three
        options.setWriteIdleTimeout(options.getIdleTimeout());
    }
}
