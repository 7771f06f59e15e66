package io.edgegw.testkit;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A tiny WebSocket server for the kit's own tests, on 127.0.0.1. It greets each connection with
 * {@code {"type":"welcome","server":<name>}}, echoes every text and binary frame unchanged, selects the subprotocol
 * {@code gateway.v1} when offered, and closes with a given code on {@code {"type":"close-me","code":..,"reason":..}}.
 * It sends {@code {"type":"fragment-me","parts":[..]}} back as one text message in as many frames as parts, and refuses
 * the upgrade with 403 on the path {@code /refuse}.
 */
final class EchoServer implements AutoCloseable {

    static final String SUBPROTOCOL = "gateway.v1";

    private final String name;
    private final HttpServer server;
    private final AtomicReference<MultiMap> lastHandshake = new AtomicReference<>();
    private final List<Short> closeCodes = new ArrayList<>();

    private EchoServer(Vertx vertx, String name) {
        this.name = name;
        this.server = vertx.createHttpServer(new HttpServerOptions()
                        .setHost("127.0.0.1")
                        .setPort(0)
                        .setMaxWebSocketFrameSize(16 * 1024 * 1024)
                        .setMaxWebSocketMessageSize(16 * 1024 * 1024)
                        .setWebSocketSubProtocols(List.of(SUBPROTOCOL)))
                .webSocketHandler(this::serve);
    }

    static EchoServer start(Vertx vertx, String name) {
        EchoServer echo = new EchoServer(vertx, name);
        Futures.await(echo.server.listen(), Duration.ofSeconds(5), "echo server listen");
        return echo;
    }

    private void serve(ServerWebSocket socket) {
        if (socket.path().equals("/refuse")) {
            socket.reject(403);
            return;
        }
        lastHandshake.set(socket.headers());
        socket.exceptionHandler(ignored -> { });
        socket.closeHandler(ignored -> {
            synchronized (closeCodes) {
                closeCodes.add(socket.closeStatusCode());
            }
        });
        socket.textMessageHandler(text -> {
            JsonObject message = Frames.parseOrNull(text);
            if (message != null && "close-me".equals(message.getValue("type"))) {
                socket.close(message.getInteger("code").shortValue(), message.getString("reason"));
            } else if (message != null && "fragment-me".equals(message.getValue("type"))) {
                sendInFragments(socket, message.getJsonArray("parts").stream().map(String::valueOf).toList());
            } else {
                socket.writeTextMessage(text);
            }
        });
        socket.binaryMessageHandler(socket::writeBinaryMessage);
        socket.writeTextMessage(new JsonObject().put("type", "welcome").put("server", name).encode());
    }

    private static void sendInFragments(ServerWebSocket socket, List<String> parts) {
        for (int i = 0; i < parts.size(); i++) {
            boolean last = i == parts.size() - 1;
            socket.writeFrame(i == 0 ? WebSocketFrame.textFrame(parts.get(i), last)
                    : WebSocketFrame.continuationFrame(Buffer.buffer(parts.get(i)), last));
        }
    }

    String url() {
        return "ws://127.0.0.1:" + port() + "/ws";
    }

    int port() {
        return server.actualPort();
    }

    /** Handshake headers of the last connection. */
    MultiMap lastHandshakeHeaders() {
        return lastHandshake.get();
    }

    /** Close codes the server saw, in order; null where the link died without a close frame. */
    List<Short> closeCodes() {
        synchronized (closeCodes) {
            return new ArrayList<>(closeCodes);
        }
    }

    @Override
    public void close() {
        Futures.await(server.close(), Duration.ofSeconds(5), "echo server close");
    }
}
