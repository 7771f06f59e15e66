package io.edgegw.upstream;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.edgegw.testkit.Futures;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * A node that misbehaves on purpose, for tests of one {@link UpstreamConnection} without a gateway: answers
 * {@code /health}, welcomes a {@code hello} with a chosen protocol version, and may close each link right after the
 * welcome with a chosen code. Records what it saw. Thread-safe switches; lives on the given Vert.x.
 */
final class ScriptedNode implements AutoCloseable {

    volatile int welcomeProtocol = 1;
    /** Close code sent right after the welcome; 0 = keep the link open. */
    volatile int closeAfterWelcome;
    /** {@code /health} probes answered 200 from now on; past them 503. Negative: every probe (the default). */
    final AtomicInteger healthyProbes = new AtomicInteger(-1);
    final AtomicInteger upgrades = new AtomicInteger();
    final AtomicInteger probes = new AtomicInteger();
    final List<Integer> closeCodesFromGateway = new CopyOnWriteArrayList<>();
    /** Every line the gateway sent after its hello, in order. */
    final List<String> received = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    private ScriptedNode(HttpServer server) {
        this.server = server;
    }

    /** Listens on {@code host:port} (port 0 = any), over TLS with {@code certificate} when it is not null. */
    static ScriptedNode start(Vertx vertx, String host, int port, PemKeyCertOptions certificate) {
        HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port);
        if (certificate != null) {
            options.setSsl(true).setKeyCertOptions(certificate);
        }
        ScriptedNode[] self = new ScriptedNode[1];
        HttpServer server = vertx.createHttpServer(options)
                .requestHandler(request -> {
                    self[0].probes.incrementAndGet();
                    boolean healthy = self[0].healthyProbes.getAndUpdate(n -> n > 0 ? n - 1 : n) != 0;
                    request.response().setStatusCode(!"/health".equals(request.path()) ? 404 : healthy ? 200 : 503)
                            .end();
                })
                .webSocketHandler(socket -> self[0].accept(socket));
        self[0] = new ScriptedNode(server);
        Futures.await(server.listen(), Duration.ofSeconds(5), "scripted node listen");
        return self[0];
    }

    int port() {
        return server.actualPort();
    }

    private void accept(ServerWebSocket socket) {
        upgrades.incrementAndGet();
        socket.closeHandler(v -> {
            Short code = socket.closeStatusCode();
            closeCodesFromGateway.add(code == null ? 1006 : (int) code);
        });
        socket.textMessageHandler(text -> {
            JsonObject hello = new JsonObject(text.lines().findFirst().orElse("{}"));
            if (!"hello".equals(hello.getString("type"))) {
                text.lines().forEach(received::add);
                return;
            }
            socket.writeTextMessage(new JsonObject().put("type", "welcome").put("protocol", welcomeProtocol)
                    .put("node", "scripted").encode());
            int close = closeAfterWelcome;
            if (close != 0) {
                socket.close((short) close, "scripted");
            }
        });
    }

    @Override
    public void close() {
        Futures.await(server.close(), Duration.ofSeconds(5), "scripted node close");
    }
}
