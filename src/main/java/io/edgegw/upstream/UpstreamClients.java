package io.edgegw.upstream;

import java.util.Optional;

import org.jboss.logging.Logger;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.TrustOptions;

/**
 * The two Vert.x clients the upstream connections share: one for {@code GET /health} probes, one for the
 * WebSockets. TLS is chosen per node by its scheme ({@code wss://}); what is trusted is chosen here, once: the
 * JVM's default truststore, or a PEM CA file, or (development only) anything.
 */
record UpstreamClients(HttpClient probes, WebSocketClient sockets) {

    private static final Logger LOG = Logger.getLogger(UpstreamClients.class);

    /** Largest frame and message from a node (a batch of messages fits in one frame). */
    private static final int MAX_FRAME = 1 << 20;
    private static final int MAX_MESSAGE = 16 << 20;

    /**
     * Creates both clients on the calling context.
     *
     * @param caFile PEM file of trusted CA certificates; empty for the JVM's default truststore
     * @param trustAll trust any certificate and skip host verification (development only)
     * @param ring the nodes, whose configured names certificates are verified against
     */
    static UpstreamClients create(Vertx vertx, Optional<String> caFile, boolean trustAll, NodeRing ring) {
        HttpClientOptions probeOptions = new HttpClientOptions().setKeepAlive(false);
        // the closing timeout bounds how long a socket we leave lingers when the node cannot answer the close frame
        WebSocketClientOptions socketOptions = new WebSocketClientOptions().setMaxFrameSize(MAX_FRAME)
                .setMaxMessageSize(MAX_MESSAGE).setClosingTimeout(1);
        if (trustAll) {
            LOG.warn("gateway.upstream.tls.trust-all is on: wss:// nodes are not authenticated (development only)");
            probeOptions.setTrustAll(true).setVerifyHost(false);
            socketOptions.setTrustAll(true).setVerifyHost(false);
        } else {
            // chains validated by the JDK, host names by NodeTrust against the configured names (see there)
            TrustOptions trust;
            try {
                trust = TrustOptions.wrap(new NodeTrust(NodeTrust.chainValidator(caFile), ring::namesOf));
            } catch (Exception e) {
                throw new IllegalStateException("gateway.upstream.tls: cannot load the trusted certificates: " + e, e);
            }
            probeOptions.setTrustOptions(trust).setVerifyHost(false);
            socketOptions.setTrustOptions(trust).setVerifyHost(false);
        }
        return new UpstreamClients(vertx.createHttpClient(probeOptions), vertx.createWebSocketClient(socketOptions));
    }
}
