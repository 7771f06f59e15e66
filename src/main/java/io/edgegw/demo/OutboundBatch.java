package io.edgegw.demo;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;

/**
 * Packs consecutive text messages into newline-separated text frames of bounded size (PROTOCOL.md section 0), in
 * order with the binary frames between them. Used for a replay; one per task, on the connection's context.
 */
final class OutboundBatch {

    /** Well below Vert.x's default maximum WebSocket frame size (64 KiB), so that a gateway never has to reassemble. */
    static final int MAX_TEXT_FRAME_CHARS = 16 * 1024;

    private final ServerWebSocket socket;
    private final StringBuilder text = new StringBuilder();

    OutboundBatch(ServerWebSocket socket) {
        this.socket = socket;
    }

    void text(String message) {
        if (text.length() > 0 && text.length() + 1 + message.length() > MAX_TEXT_FRAME_CHARS) {
            flush();
        }
        if (text.length() > 0) {
            text.append('\n');
        }
        text.append(message);
    }

    void binary(Buffer frame) {
        flush();
        if (!socket.isClosed()) {
            socket.writeBinaryMessage(frame);
        }
    }

    void flush() {
        if (text.length() > 0 && !socket.isClosed()) {
            socket.writeTextMessage(text.toString());
        }
        text.setLength(0);
    }
}
