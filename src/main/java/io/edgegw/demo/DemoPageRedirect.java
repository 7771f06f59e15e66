package io.edgegw.demo;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /demo} answers 301 to {@code /demo/}: the demo page is {@code demo/index.html} among the static
 * resources, and its relative links ({@code demo.js}, {@code ../client/gateway-client.js}) only resolve from the
 * directory URL. The query string, if any, is kept.
 */
@ApplicationScoped
public class DemoPageRedirect {

    static final String PAGE = "/demo/";

    void routes(@Observes Router router) {
        router.get("/demo").handler(this::redirect);
        router.head("/demo").handler(this::redirect);
    }

    private void redirect(RoutingContext context) {
        if (!"/demo".equals(context.request().path())) {
            context.next(); // Vert.x matches "/demo/" too: the page itself is served by the static resources
            return;
        }
        String query = context.request().query();
        context.response().setStatusCode(301)
                .putHeader(HttpHeaders.LOCATION, query == null || query.isEmpty() ? PAGE : PAGE + "?" + query)
                .end();
    }
}
