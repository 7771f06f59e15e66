package io.edgegw.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A lean upstream node (PROTOCOL.md section 2, node side) for the benchmark: {@code GET /health}, and on the
 * WebSocket: {@code hello} → {@code welcome}, {@code sub} (with {@code since}: replay from the shared log) →
 * {@code subscribed}, {@code send} → {@code ack}; topic messages go out once per connection whose {@code sub}
 * matches, each publisher tick's messages in one frame. Exact topics only. Confined to the upstream side's single
 * event loop.
 */
final class BenchNode {

    static final int MAX_FRAME_CHARS = 16 * 1024;

    final String id;
    private final Vertx vertx;
    private final BenchLog log;
    private final List<Link> links = new ArrayList<>();
    private HttpServer server;

    BenchNode(Vertx vertx, String id, BenchLog log) {
        this.vertx = vertx;
        this.id = id;
        this.log = log;
    }

    Future<Integer> start(Context context) {
        return Future.future(promise -> context.runOnContext(v -> {
            server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                            .setMaxWebSocketFrameSize(1024 * 1024).setMaxWebSocketMessageSize(16 * 1024 * 1024))
                    .requestHandler(request -> request.response()
                            .setStatusCode("/health".equals(request.path()) ? 200 : 404).end())
                    .webSocketHandler(socket -> links.add(new Link(socket)));
            server.listen().map(HttpServer::actualPort).onComplete(promise);
        }));
    }

    /** True when one of this node's connections has a {@code sub} for the topic. */
    boolean serves(int topic) {
        return links.stream().anyMatch(link -> !link.socket.isClosed() && link.subscribed(topic));
    }

    /** A message line appended to the log: queued on every connection subscribed to its topic. */
    void deliver(int topic, String line) {
        for (Link link : links) {
            if (link.subscribed(topic)) {
                link.queue(line);
            }
        }
    }

    void flush() {
        for (Link link : links) {
            link.flush();
        }
    }

    Future<Void> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private final class Link {
        final ServerWebSocket socket;
        boolean[] subs = new boolean[0];
        final StringBuilder pending = new StringBuilder();

        Link(ServerWebSocket socket) {
            this.socket = socket;
            socket.textMessageHandler(this::onText);
            socket.exceptionHandler(error -> { });
            socket.closeHandler(v -> links.remove(this));
        }

        boolean subscribed(int topic) {
            return topic < subs.length && subs[topic];
        }

        void queue(String line) {
            if (pending.length() > 0 && pending.length() + line.length() + 1 > MAX_FRAME_CHARS) {
                flush();
            }
            if (pending.length() > 0) {
                pending.append('\n');
            }
            pending.append(line);
        }

        void flush() {
            if (pending.length() > 0) {
                if (!socket.isClosed()) {
                    socket.writeTextMessage(pending.toString());
                }
                pending.setLength(0);
            }
        }

        void onText(String text) {
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    onFrame(new JsonObject(line));
                }
            }
            flush();
        }

        void onFrame(JsonObject frame) {
            switch (String.valueOf(frame.getValue("type"))) {
                case "hello" -> queue("{\"type\":\"welcome\",\"protocol\":1,\"node\":\"" + id + "\"}");
                case "sub" -> subscribe(frame.getString("topic"), frame.getJsonObject("since"));
                case "unsub" -> {
                    int topic = log.topic(frame.getString("topic"));
                    if (topic >= 0 && topic < subs.length) {
                        subs[topic] = false;
                    }
                }
                case "send" -> queue("{\"type\":\"ack\",\"session\":\"" + frame.getString("session") + "\",\"id\":\""
                        + frame.getString("id") + "\"}");
                default -> { }   // open, close: nothing to keep
            }
        }

        void subscribe(String name, JsonObject since) {
            int topic = log.topic(name);
            if (topic < 0) {
                queue("{\"type\":\"subscribed\",\"topic\":\"" + name + "\",\"epoch\":\"" + log.epoch
                        + "\",\"offset\":0,\"recovered\":true}");
                return;
            }
            List<String> replay = List.of();
            boolean recovered = true;
            if (since != null) {
                replay = log.epoch.equals(since.getString("epoch"))
                        ? log.after(topic, since.getLong("offset", -1L))
                        : null;
                recovered = replay != null;
            }
            if (topic >= subs.length) {
                subs = java.util.Arrays.copyOf(subs, Math.max(topic + 1, subs.length * 2));
            }
            subs[topic] = true;
            queue("{\"type\":\"subscribed\",\"topic\":\"" + name + "\",\"epoch\":\"" + log.epoch + "\",\"offset\":"
                    + log.head(topic) + ",\"recovered\":" + recovered + "}");
            if (replay != null) {
                replay.forEach(this::queue);
            }
        }
    }
}
