package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay in front of a bench node, so that the failover scenario can kill the node the way a crash does: every
 * connection dropped without a WebSocket close frame, and new connections refused. Runs on the upstream loop.
 */
final class TcpCut {

    private final Context context;
    private final NetServer server;
    private final NetClient client;
    private final List<NetSocket> sockets = new ArrayList<>();
    private final int port;
    private boolean cut;

    TcpCut(Vertx vertx, Context context, int targetPort) {
        this.context = context;
        this.client = vertx.createNetClient();
        CompletableFuture<NetServer> listening = new CompletableFuture<>();
        context.runOnContext(v -> {
            NetServer s = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
                    .connectHandler(inbound -> relay(inbound, targetPort));
            s.listen().onComplete(ar -> {
                if (ar.succeeded()) {
                    listening.complete(s);
                } else {
                    listening.completeExceptionally(ar.cause());
                }
            });
        });
        this.server = listening.orTimeout(10, TimeUnit.SECONDS).join();
        this.port = server.actualPort();
    }

    int port() {
        return port;
    }

    private void relay(NetSocket inbound, int targetPort) {
        if (cut) {
            inbound.close();
            return;
        }
        inbound.pause();
        client.connect(targetPort, "127.0.0.1").onComplete(ar -> {
            if (ar.failed() || cut) {
                inbound.close();
                if (ar.succeeded()) {
                    ar.result().close();
                }
                return;
            }
            NetSocket outbound = ar.result();
            sockets.add(inbound);
            sockets.add(outbound);
            inbound.closeHandler(v -> outbound.close());
            outbound.closeHandler(v -> inbound.close());
            inbound.pipeTo(outbound);
            outbound.pipeTo(inbound);
        });
    }

    /** Drops every relayed connection (TCP close, no WebSocket close frame) and stops listening; returns when done. */
    void cut() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            cut = true;
            sockets.forEach(NetSocket::close);
            sockets.clear();
            server.close().onComplete(x -> done.complete(null));
        });
        done.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }
}
