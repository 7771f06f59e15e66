package io.edgegw.client;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;

/** Which browser origins may open {@code /ws} and read {@code /ws/health} ({@code gateway.allowed-origins}). */
@ApplicationScoped
public class OriginPolicy {

    private static final Logger LOG = Logger.getLogger(OriginPolicy.class);

    private final List<String> allowed;
    private final boolean any;

    public OriginPolicy(GatewayConfig config) {
        this.allowed = config.allowedOrigins().orElse(List.of());
        this.any = allowed.isEmpty() || allowed.contains("*");
        if (allowed.isEmpty()) {
            LOG.warn("gateway.allowed-origins is not set: browsers from any origin may connect");
        }
    }

    /**
     * True when a request with this {@code Origin} header may connect. Browsers always send one; a request
     * without it comes from a non-browser client, which the origin check cannot protect against anyway.
     */
    public boolean allows(String origin) {
        return any || origin == null || allowed.contains(origin);
    }
}
