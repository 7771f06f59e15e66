package io.edgegw.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/**
 * Drops from every WebSocket upgrade on the browser port the request headers that neither the handshake nor the
 * gateway reads. Vert.x keeps an upgrade's headers for the life of its connection and WebSockets Next keeps a copy
 * of them in its handshake request, so what a browser sends besides the handshake (User-Agent, Accept-Encoding,
 * Accept-Language, Cache-Control, Pragma, Sec-WebSocket-Extensions, cookies) stayed on the heap of every idle link:
 * Chrome's set without cookies cost about 2 KiB a connection, a fifth of what one needs in all (README, benchmark).
 */
@ApplicationScoped
public class UpgradeHeaders {

    /**
     * Read by the handshake (Vert.x and Netty), by the gateway (the origin check, the warm-up's secret) or by
     * Quarkus' proxy support ({@code quarkus.http.proxy.*}, which may read them after this filter).
     */
    static final Set<String> KEPT = caseInsensitive("Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
            "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Origin", LinkWarmup.HEADER, "Forwarded",
            "X-Real-IP");
    private static final String FORWARDED_PREFIX = "x-forwarded-";
    private static final String WEBSOCKET_KEY = "Sec-WebSocket-Key";
    /** Filters run before every route, WebSockets Next's included; the order among filters does not matter here. */
    static final int PRIORITY = 100;

    void register(@Observes Filters filters) {
        filters.register(UpgradeHeaders::dropUnread, PRIORITY);
    }

    static void dropUnread(RoutingContext context) {
        MultiMap headers = context.request().headers();
        if (headers.contains(WEBSOCKET_KEY)) {
            List<String> unread = null;
            for (Map.Entry<String, String> header : headers) {
                String name = header.getKey();
                if (!isKept(name)) {
                    if (unread == null) {
                        unread = new ArrayList<>();
                    }
                    unread.add(name);
                }
            }
            if (unread != null) {
                unread.forEach(headers::remove);
            }
        }
        context.next();
    }

    static boolean isKept(String name) {
        return KEPT.contains(name) || name.regionMatches(true, 0, FORWARDED_PREFIX, 0, FORWARDED_PREFIX.length());
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(List.of(names));
        return set;
    }
}
