package io.edgegw.observe;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.Closed;
import io.quarkus.websockets.next.Open;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * Counts browser links opened and closed (by close code) from the CDI events that WebSockets Next fires
 * asynchronously for every server connection, so that the endpoint needs no metrics code. A link refused after the
 * upgrade (bad origin, bad token, at capacity) counts too, with the code it was closed with. The code is the one of
 * the close frame the gateway received (a browser echoes the gateway's own); a link that died without a close frame
 * is reported by WebSockets Next as 1005 (no status), as is a close frame without a code.
 */
@ApplicationScoped
public class ClientLinkMetrics {

    private final GatewayMetrics metrics;

    public ClientLinkMetrics(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    void opened(@ObservesAsync @Open WebSocketConnection connection) {
        metrics.clientOpened();
    }

    void closed(@ObservesAsync @Closed WebSocketConnection connection) {
        CloseReason reason = connection.closeReason();
        metrics.clientClosed(reason == null ? CloseReason.EMPTY.getCode() : reason.getCode());
    }
}
