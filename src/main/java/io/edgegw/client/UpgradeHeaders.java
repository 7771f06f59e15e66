package io.edgegw.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * Drops from every WebSocket upgrade on the browser port the request headers that neither the handshake nor the
 * gateway reads. Vert.x keeps an upgrade's headers for the life of its connection and WebSockets Next keeps a copy
 * of them in its handshake request, so what a browser sends besides the handshake (User-Agent, Accept-Encoding,
 * Accept-Language, Cache-Control, Pragma, Sec-WebSocket-Extensions, cookies) stayed on the heap of every idle link:
 * Chrome's set without cookies cost about 2 KiB a connection, a fifth of what one needs in all (README, benchmark).
 */
@Singleton
public class UpgradeHeaders {

    /**
     * Read by the handshake (Vert.x and Netty), by the gateway (the origin check, the warm-up's secret) or by
     * Quarkus' proxy support ({@code quarkus.http.proxy.*}, which reads them lazily, after this filter).
     */
    private static final List<String> READ = List.of("Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
            "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Origin", LinkWarmup.HEADER, "Forwarded",
            "X-Real-IP");
    private static final String FORWARDED_PREFIX = "x-forwarded-";
    private static final String WEBSOCKET_KEY = "Sec-WebSocket-Key";
    /** Filters run before every route, WebSockets Next's included; the order among filters does not matter here. */
    static final int PRIORITY = 100;

    private final Set<String> kept = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    /** The proxy headers whose names Quarkus lets one choose are kept under the names chosen. */
    public UpgradeHeaders(
            @ConfigProperty(name = "quarkus.http.proxy.forwarded-host-header", defaultValue = "X-Forwarded-Host")
            String forwardedHostHeader,
            @ConfigProperty(name = "quarkus.http.proxy.forwarded-prefix-header", defaultValue = "X-Forwarded-Prefix")
            String forwardedPrefixHeader) {
        kept.addAll(READ);
        kept.add(forwardedHostHeader);
        kept.add(forwardedPrefixHeader);
    }

    void register(@Observes Filters filters) {
        filters.register(this::dropUnread, PRIORITY);
    }

    void dropUnread(RoutingContext context) {
        MultiMap headers = context.request().headers();
        if (context.request().method() == HttpMethod.GET && headers.contains(WEBSOCKET_KEY)
                && headers.contains("Upgrade", "websocket", true)) {
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

    boolean isKept(String name) {
        return kept.contains(name) || name.regionMatches(true, 0, FORWARDED_PREFIX, 0, FORWARDED_PREFIX.length());
    }
}
