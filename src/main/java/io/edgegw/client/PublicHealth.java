package io.edgegw.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.edgegw.observe.Draining;
import io.edgegw.upstream.UpstreamPool;
import io.vertx.ext.web.Router;

/**
 * {@code GET /ws/health} on the browser port: 200 {@code {"status":"UP"}} while the gateway accepts browsers
 * (some upstream connected, not {@link Draining draining}), else 503. Browser clients call it before they connect,
 * so it answers CORS for the allowed origins.
 */
@ApplicationScoped
public class PublicHealth {

    private final UpstreamPool pool;
    private final OriginPolicy origins;
    private final Draining draining;

    public PublicHealth(UpstreamPool pool, OriginPolicy origins, Draining draining) {
        this.pool = pool;
        this.origins = origins;
        this.draining = draining;
    }

    void routes(@Observes Router router) {
        router.get("/ws/health").handler(context -> {
            String origin = context.request().getHeader("Origin");
            if (origin != null && origins.allows(origin)) {
                context.response().putHeader("Access-Control-Allow-Origin", origin).putHeader("Vary", "Origin");
            }
            boolean up = pool.connectedCount() > 0 && !draining.isDraining();
            context.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store")
                    .end(up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
        });
    }
}
