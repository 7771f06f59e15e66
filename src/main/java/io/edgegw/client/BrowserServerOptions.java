package io.edgegw.client;

import jakarta.enterprise.context.Dependent;

import io.edgegw.config.GatewayConfig;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * WebSocket limits of the browser port. Netty cuts a connection whose frame exceeds its limit at once, and the
 * browser then sees 1006 instead of a close code, because the unread rest of the frame resets the TCP link. So the
 * socket limit is {@value #HARD_LIMIT_FACTOR}× {@code gateway.client.max-frame-size}: frames up to that are read whole
 * and refused by the endpoint with a proper 1009.
 */
@Dependent
public class BrowserServerOptions implements HttpServerOptionsCustomizer {

    static final int HARD_LIMIT_FACTOR = 4;

    private final GatewayConfig config;

    public BrowserServerOptions(GatewayConfig config) {
        this.config = config;
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        int hardLimit = config.client().maxFrameSize() * HARD_LIMIT_FACTOR;
        options.setMaxWebSocketFrameSize(hardLimit).setMaxWebSocketMessageSize(hardLimit);
        // per-message deflate would compress each subscriber's copy apart, defeating one encoded frame for all
        options.setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        customizeHttpServer(options);
    }
}
