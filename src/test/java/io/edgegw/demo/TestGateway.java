package io.edgegw.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway side of one upstream link, over a real socket, for tests: writes frames, and queues what the node sends
 * (each line of a text frame as a JsonObject, each binary frame as a Buffer) in arrival order.
 */
final class TestGateway implements AutoCloseable {

    static final long WAIT_SECONDS = 5;

    private final WebSocketClient client;
    private final WebSocket socket;
    private final BlockingQueue<Object> inbox;
    private final CompletableFuture<Void> closed;
    private final AtomicInteger textFrames;
    private int barriers;

    private TestGateway(WebSocketClient client, WebSocket socket, BlockingQueue<Object> inbox,
                        CompletableFuture<Void> closed, AtomicInteger textFrames) {
        this.client = client;
        this.textFrames = textFrames;
        this.socket = socket;
        this.inbox = inbox;
        this.closed = closed;
    }

    /** Connects without saying hello. */
    static TestGateway connect(Vertx vertx, ReferenceNode node) {
        WebSocketClient client = vertx.createWebSocketClient();
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        AtomicInteger textFrames = new AtomicInteger();
        WebSocket socket = await(client.connect(node.port(), ReferenceNode.HOST, "/upstream").map(ws -> {
            // set on the event loop before the future completes, so that no frame arrives unheard
            ws.textMessageHandler(text -> {
                textFrames.incrementAndGet();
                Arrays.stream(text.split("\n")).map(JsonObject::new).forEach(inbox::add);
            });
            ws.binaryMessageHandler(inbox::add);
            ws.closeHandler(v -> closed.complete(null));
            ws.exceptionHandler(error -> { }); // a link dropped by kill() reports "Connection was closed"
            return ws;
        }));
        return new TestGateway(client, socket, inbox, closed, textFrames);
    }

    /** Connects, says hello (with that token) and checks the node's welcome. */
    static TestGateway welcomed(Vertx vertx, ReferenceNode node, String token) {
        TestGateway gateway = connect(vertx, node);
        gateway.send(hello(token));
        JsonObject welcome = gateway.next();
        assertEquals(new JsonObject().put("type", "welcome").put("protocol", 1).put("node", node.id()), welcome);
        return gateway;
    }

    static TestGateway welcomed(Vertx vertx, ReferenceNode node) {
        return welcomed(vertx, node, null);
    }

    static JsonObject hello(String token) {
        JsonObject hello = new JsonObject().put("type", "hello").put("protocol", 1)
                .put("gateway", "gw-test").put("connection", "gw-test/0");
        return token == null ? hello : hello.put("token", token);
    }

    static JsonObject sub(String topic) {
        return new JsonObject().put("type", "sub").put("topic", topic);
    }

    static JsonObject sub(String topic, String epoch, long offset) {
        return sub(topic).put("since", new JsonObject().put("epoch", epoch).put("offset", offset));
    }

    static JsonObject open(String session) {
        return new JsonObject().put("type", "open").put("session", session).put("user", "alice");
    }

    static JsonObject sendFrame(String session, String id, String event, Object data) {
        return new JsonObject().put("type", "send").put("session", session).put("id", id)
                .put("event", event).put("data", data);
    }

    /** Writes the frames as one text frame, one per line. */
    void send(JsonObject... frames) {
        sendRaw(Arrays.stream(frames).map(JsonObject::encode).collect(Collectors.joining("\n")));
    }

    void sendRaw(String text) {
        await(socket.writeTextMessage(text));
    }

    /** Text frames received so far (a frame may carry several messages). */
    int textFrames() {
        return textFrames.get();
    }

    /** The next JSON message from the node. */
    JsonObject next() {
        return assertInstanceOf(JsonObject.class, nextFrame(), "expected a JSON message");
    }

    Buffer nextBinary() {
        return assertInstanceOf(Buffer.class, nextFrame(), "expected a binary frame");
    }

    /** Subscribes and awaits the reply: the next message must be its answer, then nothing else arrived before it. */
    JsonObject subscribe(JsonObject sub) {
        send(sub);
        JsonObject subscribed = next();
        assertEquals("subscribed", subscribed.getString("type"), subscribed::encode);
        assertEquals(sub.getString("topic"), subscribed.getString("topic"));
        return subscribed;
    }

    /**
     * Proves that nothing else is on its way: a node answers in order, so once the answer to a fresh {@code sub}
     * arrives, whatever the node wrote before it has arrived too.
     */
    void expectNothingMore() {
        String barrier = "barrier/" + (++barriers);
        send(sub(barrier));
        Object next = nextFrame();
        assertTrue(next instanceof JsonObject json && barrier.equals(json.getString("topic")),
                () -> "expected nothing before the barrier, got " + next);
        assertTrue(inbox.isEmpty(), () -> "unexpected " + inbox);
    }

    /** Sends a WebSocket ping and returns the pong's payload. */
    Buffer ping(Buffer payload) {
        CompletableFuture<Buffer> pong = new CompletableFuture<>();
        socket.pongHandler(pong::complete);
        socket.writePing(payload);
        try {
            return pong.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("no pong", e);
        }
    }

    /** Waits until the node closed the link; returns its close code, null when it closed without a close frame. */
    Short awaitClosed() {
        try {
            closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("the link did not close", e);
        }
        return socket.closeStatusCode();
    }

    String closeReason() {
        return socket.closeReason();
    }

    @Override
    public void close() {
        if (!socket.isClosed()) {
            socket.close();
        }
        client.close();
    }

    private Object nextFrame() {
        try {
            Object frame = inbox.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(frame, "nothing arrived within " + WAIT_SECONDS + " s");
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }
}
