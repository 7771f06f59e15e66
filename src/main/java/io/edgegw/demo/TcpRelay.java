package io.edgegw.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

/**
 * Listens on a node's public port and relays every connection, byte for byte, to the node's HTTP server on an
 * internal port.
 * <p>
 * It exists for {@link ReferenceNode#kill()}: Vert.x's HTTP server writes a WebSocket close frame whenever it closes
 * an upgraded connection, even on a raw channel close, so the only way to show a gateway a link that dies without a
 * close frame (1006) through public API is to drop the TCP connection in front of the server. Each relayed pair lives
 * on the context of its inbound connection.
 */
final class TcpRelay {

    private final Vertx vertx;
    private NetServer server;
    private NetClient client;

    TcpRelay(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Listens on {@code host:port} (0 = random) and returns the actual port. */
    synchronized Future<Integer> listen(String host, int port, int targetPort) {
        NetClient relayClient = vertx.createNetClient();
        NetServer relayServer = vertx.createNetServer(new NetServerOptions().setHost(host).setPort(port))
                .connectHandler(inbound -> relay(inbound, relayClient, host, targetPort));
        server = relayServer;
        client = relayClient;
        return relayServer.listen().map(NetServer::actualPort);
    }

    /** Stops listening and drops every relayed connection at once: the peer sees TCP close, no WebSocket close frame. */
    synchronized Future<Void> close() {
        if (server == null) {
            return Future.succeededFuture();
        }
        Future<Void> serverClosed = server.close();   // also closes every accepted (inbound) connection
        Future<Void> clientClosed = client.close();   // and every connection to the node's HTTP server
        server = null;
        client = null;
        return Future.join(serverClosed, clientClosed).mapEmpty();
    }

    private static void relay(NetSocket inbound, NetClient client, String host, int targetPort) {
        inbound.pause();
        client.connect(targetPort, host).onComplete(connected -> {
            if (connected.failed()) {
                inbound.close();
                return;
            }
            NetSocket outbound = connected.result();
            inbound.closeHandler(v -> outbound.close());
            outbound.closeHandler(v -> inbound.close());
            inbound.pipeTo(outbound);
            outbound.pipeTo(inbound);
        });
    }
}
