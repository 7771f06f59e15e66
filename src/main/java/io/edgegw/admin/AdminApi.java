package io.edgegw.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.GlobalIgnore;
import io.edgegw.upstream.UpstreamConnection;
import io.edgegw.upstream.UpstreamPool;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin API, on the management port only (never the browser port). Every request needs
 * {@code Authorization: Bearer <gateway.admin.token>}: 401 when missing or wrong, 403 for every request while no
 * token is configured.
 */
@ApplicationScoped
public class AdminApi {

    private static final Logger LOG = Logger.getLogger(AdminApi.class);

    private final Optional<byte[]> token;
    private final GlobalIgnore globalIgnore;
    private final UpstreamPool pool;

    public AdminApi(GatewayConfig config, GlobalIgnore globalIgnore, UpstreamPool pool) {
        this.token = config.admin().token().filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8));
        this.globalIgnore = globalIgnore;
        this.pool = pool;
    }

    void routes(@Observes ManagementInterface management) {
        Router router = management.router();
        router.route("/admin/*").handler(this::authorize);
        router.get("/admin/ignore").handler(this::listIgnores);
        router.put("/admin/ignore").handler(this::addIgnore);
        router.delete("/admin/ignore").handler(this::removeIgnore);
        router.get("/admin/upstreams").handler(this::listUpstreams);
    }

    private void authorize(RoutingContext context) {
        if (token.isEmpty()) {
            problem(context, 403, "forbidden", "the admin API is off: set gateway.admin.token to enable it");
            return;
        }
        String header = context.request().getHeader("Authorization");
        byte[] presented = header != null && header.startsWith("Bearer ")
                ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8)
                : new byte[0];
        if (!MessageDigest.isEqual(presented, token.get())) { // constant time: no token guessing by timing
            context.response().putHeader("WWW-Authenticate", "Bearer");
            problem(context, 401, "unauthorized", "missing or wrong bearer token");
            return;
        }
        context.next();
    }

    private void listIgnores(RoutingContext context) {
        json(context, 200, new JsonObject().put("patterns", new JsonArray(globalIgnore.current().patterns())));
    }

    private void addIgnore(RoutingContext context) {
        String pattern = context.request().getParam("pattern");
        if (!globalIgnore.add(pattern)) {
            problem(context, 400, "invalid_topic", "invalid topic pattern: " + pattern);
            return;
        }
        LOG.infof("admin: global ignore += %s", pattern);
        context.response().setStatusCode(204).end();
    }

    private void removeIgnore(RoutingContext context) {
        String pattern = context.request().getParam("pattern");
        if (!globalIgnore.remove(pattern)) {
            problem(context, 404, "not_found", "not in the global ignore list: " + pattern);
            return;
        }
        LOG.infof("admin: global ignore -= %s", pattern);
        context.response().setStatusCode(204).end();
    }

    private void listUpstreams(RoutingContext context) {
        JsonArray connections = new JsonArray();
        for (UpstreamConnection connection : pool.connections()) {
            connections.add(new JsonObject().put("connection", connection.name())
                    .put("node", connection.node().url()).put("state", connection.state().tag())
                    .put("stateSinceMs", connection.stateSinceMs()).put("attempt", connection.attempt())
                    .put("lastCloseCode", connection.lastCloseCode()));
        }
        json(context, 200, new JsonObject().put("connections", connections));
    }

    private static void problem(RoutingContext context, int status, String code, String message) {
        json(context, status, new JsonObject().put("code", code).put("message", message));
    }

    private static void json(RoutingContext context, int status, JsonObject body) {
        context.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(body.encode());
    }
}
