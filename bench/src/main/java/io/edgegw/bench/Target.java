package io.edgegw.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;

/** What differs between the gateway and the peer on the client side: subscribing, keep-alive and the parser. */
enum Target {

    GATEWAY("gateway") {
        @Override
        StreamParser newParser(ClientLink link) {
            return new GatewayParser(link);
        }

        @Override
        void subscribe(WebSocket socket, int topic) {
            socket.writeTextMessage("{\"type\":\"subscribe\",\"id\":\"1\",\"topics\":[\"" + topicName(topic) + "\"]}");
        }

        @Override
        void keepAlive(WebSocket socket) {
            socket.writeTextMessage("{\"type\":\"ping\"}");
        }

        @Override
        String path() {
            return "/ws";
        }
    },

    NATS("nats-server") {
        @Override
        StreamParser newParser(ClientLink link) {
            return new NatsParser(link);
        }

        @Override
        void subscribe(WebSocket socket, int topic) {
            // the PING's PONG tells that the server has processed the SUB
            socket.writeBinaryMessage(Buffer.buffer("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB "
                    + subject(topic) + " 1\r\nPING\r\n"));
        }

        @Override
        void keepAlive(WebSocket socket) {
            // the server pings the client (answered in NatsParser); nothing to do
        }

        @Override
        String path() {
            return "/";
        }
    };

    final String label;

    Target(String label) {
        this.label = label;
    }

    abstract StreamParser newParser(ClientLink link);

    abstract void subscribe(WebSocket socket, int topic);

    abstract void keepAlive(WebSocket socket);

    abstract String path();

    /** Topic {@code i} on the gateway: {@code bench/t} for the single-topic scenarios' topic 0, else bench/t<i>. */
    static String topicName(int topic) {
        return topic == 0 ? "bench/t" : "bench/t" + topic;
    }

    static String subject(int topic) {
        return topic == 0 ? "bench.t" : "bench.t" + topic;
    }
}
