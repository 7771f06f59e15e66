package io.edgegw.testkit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client end of one WebSocket (RFC 6455) on a plain Vert.x TCP socket, recording into an {@link Inbox}.
 *
 * <p>Why not Vert.x's own WebSocket client: in Vert.x 4.5 a frame that arrives in the same TCP read as the {@code 101}
 * response is sometimes dropped while the next frames arrive (reproduced here: about one connection in 3,000 to a
 * server that writes right after the upgrade, as the gateway does with its {@code welcome}; the test waiting for that
 * welcome then fails). Here the bytes after the response's header block are, by construction, the start of the frame
 * stream.
 *
 * <p>What it does, as browsers do: masks every frame it sends, answers pings, reassembles fragmented messages, echoes
 * the peer's close frame, reports an empty close frame as 1005 and a link that ended without a close frame as 1006, and
 * ends TCP itself when the peer does not within the closing timeout. A protocol error from the peer (a masked or
 * reserved frame, a bad continuation, a frame over the size limit) closes with 1002 or 1009.
 *
 * <p>Threads: all state is confined to the socket's event loop; the public methods may be called from any thread.
 */
final class RawWebSocket {

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
    private static final int NO_STATUS_RECEIVED = 1005;
    private static final int PROTOCOL_ERROR = 1002;
    private static final int MESSAGE_TOO_BIG = 1009;

    private static final int CONTINUATION = 0x0;
    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    private static final int PONG = 0xA;

    /** Where to connect and what to ask for in the upgrade request. */
    record Handshake(String host, int port, boolean tls, String requestUri, Map<String, String> headers,
            List<String> subprotocols, Duration timeout, int maxMessageBytes, Duration closingTimeout) {
    }

    private final Context context;
    private final Handshake handshake;
    private final Inbox inbox;
    private final NetClient client;
    private final String key = Base64.getEncoder().encodeToString(randomBytes(16));
    private final Promise<RawWebSocket> opened = Promise.promise();

    private NetSocket socket;
    private Buffer unread = Buffer.buffer();
    private boolean upgraded;
    private String subprotocol;
    private Buffer fragments;
    private int fragmentsOpcode;
    private boolean closeSent;
    private boolean closeReceived;
    private boolean ended;
    private long closingTimer = -1;

    private RawWebSocket(Vertx vertx, Handshake handshake, Inbox inbox) {
        this.context = vertx.getOrCreateContext();
        this.handshake = handshake;
        this.inbox = inbox;
        this.client = vertx.createNetClient(new NetClientOptions()
                .setConnectTimeout((int) handshake.timeout().toMillis())
                .setSsl(handshake.tls())
                .setTrustAll(true)
                .setHostnameVerificationAlgorithm(""));
    }

    /** Connects and upgrades; the future completes, on the socket's event loop, once the {@code 101} was checked. */
    static Future<RawWebSocket> connect(Vertx vertx, Handshake handshake, Inbox inbox) {
        RawWebSocket webSocket = new RawWebSocket(vertx, handshake, inbox);
        webSocket.context.runOnContext(ignored -> webSocket.start());
        return webSocket.opened.future();
    }

    private void start() {
        long upgradeTimer = context.owner().setTimer(handshake.timeout().toMillis(),
                ignored -> failOpening(new VertxException("WebSocket upgrade timed out after " + handshake.timeout())));
        opened.future().onComplete(ignored -> context.owner().cancelTimer(upgradeTimer));
        client.connect(handshake.port(), handshake.host()).onComplete(connected -> {
            if (connected.failed()) {
                failOpening(connected.cause());
                return;
            }
            socket = connected.result();
            if (opened.future().isComplete()) { // timed out meanwhile
                socket.close();
                return;
            }
            socket.handler(this::onBytes);
            socket.exceptionHandler(this::onSocketError);
            socket.closeHandler(ignored -> onSocketClosed());
            socket.write(upgradeRequest());
        });
    }

    // ---- the upgrade

    private Buffer upgradeRequest() {
        String hostAndPort = handshake.host() + ":" + handshake.port();
        StringBuilder request = new StringBuilder()
                .append("GET ").append(handshake.requestUri()).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostAndPort).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        if (handshake.headers().keySet().stream().noneMatch("Origin"::equalsIgnoreCase)) {
            // what a page served by that host would send (and what Vert.x's client sends)
            String scheme = handshake.tls() ? "https://" : "http://";
            request.append("Origin: ").append(scheme).append(hostAndPort.toLowerCase(Locale.ROOT)).append("\r\n");
        }
        if (!handshake.subprotocols().isEmpty()) {
            request.append("Sec-WebSocket-Protocol: ").append(String.join(", ", handshake.subprotocols()))
                    .append("\r\n");
        }
        handshake.headers().forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        return Buffer.buffer(request.append("\r\n").toString(), "ISO-8859-1");
    }

    private void onUpgradeBytes() {
        int end = indexOfHeadEnd(unread);
        if (end < 0) {
            if (unread.length() > MAX_RESPONSE_HEAD_BYTES) {
                failOpening(new VertxException("no end of the upgrade response within " + MAX_RESPONSE_HEAD_BYTES
                        + " bytes"));
            }
            return;
        }
        String[] lines = unread.getString(0, end, "ISO-8859-1").split("\r\n");
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.add(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
        }
        int status = statusOf(lines[0]);
        int bodyLength = contentLength(headers);
        if (status != 101) {
            if (unread.length() < end + 4 + bodyLength) {
                return; // wait for the refusal's body
            }
            Buffer body = unread.getBuffer(end + 4, end + 4 + bodyLength);
            failOpening(new UpgradeRejectedException("WebSocket upgrade failure: " + status, status, headers, body));
            return;
        }
        String problem = problemWith(headers);
        if (problem != null) {
            failOpening(new VertxException("WebSocket upgrade failure: " + problem));
            return;
        }
        subprotocol = headers.get("Sec-WebSocket-Protocol");
        upgraded = true;
        unread = unread.getBuffer(end + 4, unread.length()); // the first frames may have come with the response
        opened.complete(this);
    }

    private String problemWith(MultiMap headers) {
        if (!"websocket".equalsIgnoreCase(headers.get("Upgrade"))) {
            return "Upgrade header is " + headers.get("Upgrade");
        }
        if (!acceptFor(key).equals(headers.get("Sec-WebSocket-Accept"))) {
            return "Sec-WebSocket-Accept does not match the key";
        }
        String selected = headers.get("Sec-WebSocket-Protocol");
        if (selected != null && !handshake.subprotocols().contains(selected)) {
            return "the server selected subprotocol " + selected + ", not offered";
        }
        if (selected == null && !handshake.subprotocols().isEmpty()) {
            return "the server selected none of the subprotocols " + handshake.subprotocols();
        }
        return null;
    }

    private static int statusOf(String statusLine) {
        String[] parts = statusLine.split(" ", 3);
        try {
            return parts.length >= 2 ? Integer.parseInt(parts[1]) : -1;
        } catch (NumberFormatException notANumber) {
            return -1;
        }
    }

    private static int contentLength(MultiMap headers) {
        try {
            return Math.max(0, Integer.parseInt(headers.get("Content-Length")));
        } catch (NumberFormatException | NullPointerException absent) {
            return 0;
        }
    }

    private static int indexOfHeadEnd(Buffer bytes) {
        for (int i = 0; i + 3 < bytes.length(); i++) {
            if (bytes.getByte(i) == '\r' && bytes.getByte(i + 1) == '\n' && bytes.getByte(i + 2) == '\r'
                    && bytes.getByte(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    static String acceptFor(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private void failOpening(Throwable cause) {
        if (opened.tryFail(cause)) {
            if (socket != null) {
                socket.close();
            }
            client.close();
        }
    }

    // ---- reading frames

    private void onBytes(Buffer bytes) {
        unread.appendBuffer(bytes);
        if (!upgraded) {
            onUpgradeBytes();
        }
        if (upgraded) {
            readFrames();
        }
    }

    private void readFrames() {
        int position = 0;
        while (!ended && unread.length() - position >= 2) {
            int first = unread.getUnsignedByte(position);
            int second = unread.getUnsignedByte(position + 1);
            long length = second & 0x7F;
            int headerLength = 2;
            if (length == 126) {
                if (unread.length() - position < 4) {
                    break;
                }
                length = unread.getUnsignedShort(position + 2);
                headerLength = 4;
            } else if (length == 127) {
                if (unread.length() - position < 10) {
                    break;
                }
                length = unread.getLong(position + 2);
                headerLength = 10;
            }
            if ((second & 0x80) != 0 || (first & 0x70) != 0) {
                failProtocol(PROTOCOL_ERROR, "masked frame or reserved bits from the server");
                return;
            }
            if (length < 0 || length > handshake.maxMessageBytes()) {
                failProtocol(MESSAGE_TOO_BIG, "frame of " + length + " bytes");
                return;
            }
            if (unread.length() - position < headerLength + length) {
                break;
            }
            int start = position + headerLength;
            position = start + (int) length;
            onFrame((first & 0x80) != 0, first & 0x0F, unread.getBuffer(start, position));
        }
        unread = position == unread.length() ? Buffer.buffer() : unread.getBuffer(position, unread.length());
    }

    private void onFrame(boolean fin, int opcode, Buffer payload) {
        if (closeReceived) {
            return;
        }
        switch (opcode) {
            case TEXT, BINARY -> {
                if (fragments != null) {
                    failProtocol(PROTOCOL_ERROR, "new message inside a fragmented one");
                } else if (fin) {
                    deliver(opcode, payload);
                } else {
                    fragments = payload.copy();
                    fragmentsOpcode = opcode;
                }
            }
            case CONTINUATION -> {
                if (fragments == null) {
                    failProtocol(PROTOCOL_ERROR, "continuation frame without a message");
                    return;
                }
                fragments.appendBuffer(payload);
                if (fragments.length() > handshake.maxMessageBytes()) {
                    failProtocol(MESSAGE_TOO_BIG, "message over " + handshake.maxMessageBytes() + " bytes");
                } else if (fin) {
                    Buffer message = fragments;
                    fragments = null;
                    deliver(fragmentsOpcode, message);
                }
            }
            case PING -> write(PONG, payload);
            case PONG -> inbox.onPong();
            case CLOSE -> onCloseFrame(payload);
            default -> failProtocol(PROTOCOL_ERROR, "unknown opcode " + opcode);
        }
    }

    private void deliver(int opcode, Buffer message) {
        if (opcode == TEXT) {
            inbox.onText(message.toString(StandardCharsets.UTF_8));
        } else {
            inbox.onBinary(message.copy());
        }
    }

    private void onCloseFrame(Buffer payload) {
        closeReceived = true;
        int code = payload.length() >= 2 ? payload.getUnsignedShort(0) : NO_STATUS_RECEIVED;
        String reason = payload.length() > 2 ? payload.getString(2, payload.length(), "UTF-8") : null;
        if (!closeSent) {
            closeSent = true;
            write(CLOSE, payload.length() >= 2 ? payload.getBuffer(0, 2) : Buffer.buffer());
        }
        inbox.onClose((short) code, reason);
        endTcpAfterClosingTimeout(); // the server ends TCP first (RFC 6455 7.1.1); this is the fallback
    }

    private void failProtocol(int code, String why) {
        inbox.onError(new VertxException("WebSocket protocol error: " + why));
        fragments = null;
        sendClose((short) code);
    }

    // ---- the end of the link

    private void onSocketError(Throwable error) {
        inbox.onError(error);
        failOpening(error);
    }

    private void onSocketClosed() {
        if (closingTimer != -1) {
            context.owner().cancelTimer(closingTimer);
        }
        ended = true;
        failOpening(new VertxException("connection closed during the WebSocket upgrade"));
        if (upgraded && !closeReceived) {
            inbox.onError(new VertxException("Connection was closed"));
            inbox.onClose(null, null);
        }
        client.close();
    }

    private void endTcpAfterClosingTimeout() {
        if (closingTimer == -1 && !ended) {
            closingTimer = context.owner().setTimer(handshake.closingTimeout().toMillis(), ignored -> socket.close());
        }
    }

    private void sendClose(short code) {
        if (!closeSent && !ended) {
            closeSent = true;
            write(CLOSE, Buffer.buffer().appendUnsignedShort(code));
            endTcpAfterClosingTimeout(); // a peer that never answers is given up on, and reported as 1006
        }
    }

    // ---- writing (masked, as a client must)

    void sendText(String text) {
        context.runOnContext(ignored -> write(TEXT, Buffer.buffer(text, "UTF-8")));
    }

    void sendBinary(Buffer bytes) {
        context.runOnContext(ignored -> write(BINARY, bytes));
    }

    void ping(Buffer payload) {
        context.runOnContext(ignored -> write(PING, payload));
    }

    /** Sends a close frame with {@code code}; the close is reported when the peer answers or TCP ends. */
    void close(short code) {
        context.runOnContext(ignored -> sendClose(code));
    }

    private void write(int opcode, Buffer payload) {
        if (ended || (closeSent && opcode != CLOSE)) {
            return;
        }
        socket.write(maskedFrame(opcode, payload)).onFailure(inbox::onError);
    }

    static Buffer maskedFrame(int opcode, Buffer payload) {
        int length = payload.length();
        Buffer frame = Buffer.buffer(length + 14).appendByte((byte) (0x80 | opcode));
        if (length < 126) {
            frame.appendByte((byte) (0x80 | length));
        } else if (length <= 0xFFFF) {
            frame.appendByte((byte) (0x80 | 126)).appendUnsignedShort(length);
        } else {
            frame.appendByte((byte) (0x80 | 127)).appendLong(length);
        }
        byte[] mask = randomBytes(4);
        frame.appendBytes(mask);
        byte[] masked = payload.getBytes();
        for (int i = 0; i < masked.length; i++) {
            masked[i] ^= mask[i & 3];
        }
        return frame.appendBytes(masked);
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    // ---- what the handshake settled

    /** The subprotocol the server selected, or null. */
    String subprotocol() {
        return subprotocol;
    }

    /** This end of the TCP connection. */
    SocketAddress localAddress() {
        return socket.localAddress();
    }
}
