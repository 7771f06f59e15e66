package io.edgegw.demo;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.edgegw.demo.TestGateway.await;
import static io.edgegw.demo.TestGateway.open;
import static io.edgegw.demo.TestGateway.sendFrame;
import static io.edgegw.demo.TestGateway.sub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A gateway's {@code send}: ack, nack, deduplication and the demo behaviour. */
class NodeSendTest {

    private Vertx vertx;
    private SharedLog log;
    private ReferenceNode node;
    private TestGateway gateway;

    @BeforeEach
    void startNode() {
        vertx = Vertx.vertx();
        log = new SharedLog(100);
        node = new ReferenceNode(vertx, log, new ReferenceNode.Options().nodeId("n1"));
        await(node.start());
        gateway = TestGateway.welcomed(vertx, node);
        gateway.send(open("s1"));
    }

    @AfterEach
    void stopNode() {
        await(node.stop());
        await(vertx.close());
    }

    @Test
    void duplicateSendIsAckedTwiceButHandledOnce() {
        AtomicInteger handled = new AtomicInteger();
        node.onSend(send -> {
            handled.incrementAndGet();
            return null;
        });
        JsonObject send = sendFrame("s1", "c-17", "chat.post", new JsonObject().put("text", "hi"));

        gateway.send(send, send);

        JsonObject ack = new JsonObject().put("type", "ack").put("session", "s1").put("id", "c-17");
        assertEquals(ack, gateway.next());
        assertEquals(ack, gateway.next());
        gateway.expectNothingMore();
        assertEquals(1, handled.get());
        assertEquals(2, node.received("send").size());
    }

    @Test
    void handlerResultBecomesANackAndADuplicateGetsTheSameNack() {
        node.onSend(send -> new JsonObject().put("code", "forbidden").put("message", "read-only room"));
        JsonObject send = sendFrame("s1", "c-1", "chat.post", "hi");

        gateway.send(send);
        gateway.send(send);

        JsonObject nack = new JsonObject().put("type", "nack").put("session", "s1").put("id", "c-1")
                .put("code", "forbidden").put("message", "read-only room");
        assertEquals(nack, gateway.next());
        assertEquals(nack, gateway.next());
    }

    @Test
    void handlerGetsTheWholeSendFrame() {
        JsonObject[] seen = new JsonObject[1];
        node.onSend(send -> {
            seen[0] = send;
            return null;
        });
        JsonObject send = sendFrame("s1", "c-2", "order.place", new JsonObject().put("qty", 3));

        gateway.send(send);

        assertEquals("ack", gateway.next().getString("type"));
        assertEquals(send, seen[0]);
    }

    @Test
    void echoIsAckedAndAnsweredWithOneDirectEvenWhenRepeated() {
        JsonObject send = sendFrame("s1", "c-3", "echo", new JsonObject().put("text", "ping"));

        gateway.send(send);
        gateway.send(send);

        List<JsonObject> frames = List.of(gateway.next(), gateway.next(), gateway.next());
        gateway.expectNothingMore();
        assertEquals(2, frames.stream().filter(f -> "ack".equals(f.getString("type"))).count(), frames::toString);
        assertEquals(List.of(new JsonObject().put("type", "direct").put("session", "s1").put("event", "echo")
                        .put("data", new JsonObject().put("text", "ping"))),
                frames.stream().filter(f -> "direct".equals(f.getString("type"))).toList());
    }

    @Test
    void theChatAliasIsAShortHashThatDoesNotRevealTheSession() {
        String session = "s-4f9c0d1e2a3b4c5d6e7f8a9b0c1d2e3f";
        String alias = SendInbox.chatAlias(session);
        assertTrue(alias.matches("guest-[0-9a-f]{6}"), alias);
        assertEquals(alias, SendInbox.chatAlias(session), "stable, so that a page can recognise its own messages");
        assertNotEquals(alias, SendInbox.chatAlias(session + "x"));
        assertEquals("guest-ba7816", SendInbox.chatAlias("abc"), "the first 3 bytes of SHA-256(\"abc\")");
    }

    @Test
    void chatPostIsPublishedToTheLobbyOnce() {
        gateway.subscribe(sub("chat/lobby"));
        JsonObject send = sendFrame("s1", "c-4", "chat.post", new JsonObject().put("text", "hello all"));

        gateway.send(send, send);

        List<JsonObject> frames = List.of(gateway.next(), gateway.next(), gateway.next());
        List<JsonObject> messages = frames.stream().filter(f -> "message".equals(f.getString("type"))).toList();
        assertEquals(1, messages.size(), frames::toString);
        assertEquals(new JsonObject().put("from", SendInbox.chatAlias("s1"))
                        .put("data", new JsonObject().put("text", "hello all")),
                messages.get(0).getJsonObject("data"));
        assertFalse(messages.get(0).encode().contains("s1"), "the sender's session id is not published");
        assertEquals(1, log.head("chat/lobby"));
        gateway.expectNothingMore();
    }
}
