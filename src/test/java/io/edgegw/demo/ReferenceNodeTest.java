package io.edgegw.demo;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.edgegw.demo.TestGateway.await;
import static io.edgegw.demo.TestGateway.hello;
import static io.edgegw.demo.TestGateway.open;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handshake, the node's life (stop, kill, restart, health) and routing by session. */
class ReferenceNodeTest {

    private Vertx vertx;
    private ReferenceNode node;

    @BeforeEach
    void startNode() {
        vertx = Vertx.vertx();
        node = new ReferenceNode(vertx, new SharedLog(100), new ReferenceNode.Options().nodeId("n1").token("secret"));
        await(node.start());
    }

    @AfterEach
    void stopNode() {
        await(node.stop());
        await(vertx.close());
    }

    @Test
    void answersHelloWithWelcome() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");

        await().atMost(Duration.ofSeconds(5)).until(() -> node.connectionCount() == 1);
        assertEquals(List.of(hello("secret")), node.received());
        assertTrue(node.url().matches("ws://127\\.0\\.0\\.1:\\d+/upstream"));
        gateway.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> node.connectionCount() == 0);
    }

    @Test
    void answersWebSocketPings() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");

        assertEquals(Buffer.buffer("hb-1"), gateway.ping(Buffer.buffer("hb-1")));
    }

    @Test
    void closesWith1008OnWrongToken() {
        TestGateway gateway = TestGateway.connect(vertx, node);

        gateway.send(hello("wrong"));

        assertEquals((short) 1008, gateway.awaitClosed());
        assertEquals("bad token", gateway.closeReason());
        assertEquals(0, node.connectionCount());
    }

    @Test
    void closesWith1008WhenTheFirstFrameIsNotHello() {
        TestGateway gateway = TestGateway.connect(vertx, node);

        gateway.send(open("s1"), hello("secret"));

        assertEquals((short) 1008, gateway.awaitClosed());
        assertEquals("hello expected", gateway.closeReason());
    }

    @Test
    void closesWith1008OnAnotherProtocolVersion() {
        TestGateway gateway = TestGateway.connect(vertx, node);

        gateway.send(hello("secret").put("protocol", 2));

        assertEquals((short) 1008, gateway.awaitClosed());
        assertEquals("unsupported protocol", gateway.closeReason());
    }

    @Test
    void ignoresUnknownFieldsTypesAndEmptyLines() {
        TestGateway gateway = TestGateway.connect(vertx, node);

        gateway.sendRaw(hello("secret").put("future", true).encode() + "\n\n"
                + "{\"type\":\"future-frame\"}\n");

        assertEquals("welcome", gateway.next().getString("type"));
        gateway.expectNothingMore();
    }

    @Test
    void killDropsTheLinkWithoutACloseFrame() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");

        await(node.kill());

        assertNull(gateway.awaitClosed(), "Vert.x reports a link closed without a close frame (1006) as null");
        await().atMost(Duration.ofSeconds(5)).until(() -> node.connectionCount() == 0);
    }

    @Test
    void stopClosesLinksWithGoingAwayAndRestartReusesThePort() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");
        int port = node.port();

        await(node.stop());

        assertEquals((short) 1001, gateway.awaitClosed());
        await(node.start());
        assertEquals(port, node.port());
        TestGateway.welcomed(vertx, node, "secret");
    }

    @Test
    void restartsOnTheSamePortAfterKill() throws Exception {
        int port = node.port();
        // below the ephemeral range: no outgoing connection can hold the port while the node is down
        int ephemeralStart = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                .get(0).trim().split("\\s+")[0]);
        assertTrue(port >= 10_000 && port < ephemeralStart, () -> "port " + port);

        await(node.kill());
        await(node.start());

        assertEquals(port, node.port());
        TestGateway.welcomed(vertx, node, "secret");
    }

    @Test
    void closeConnectionsUsesTheGivenCode() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");

        node.closeConnections(1012, "restarting");

        assertEquals((short) 1012, gateway.awaitClosed());
        assertEquals("restarting", gateway.closeReason());
    }

    @Test
    void healthAnswers503WhileUnhealthyButStillAcceptsGateways() {
        assertEquals(200, healthStatus());

        node.setHealthy(false);

        assertEquals(503, healthStatus());
        TestGateway.welcomed(vertx, node, "secret");
    }

    @Test
    void directAndKickGoToTheConnectionWhereTheSessionWasLastOpened() {
        TestGateway first = TestGateway.welcomed(vertx, node, "secret");
        TestGateway second = TestGateway.welcomed(vertx, node, "secret");
        first.send(open("s1"));
        first.expectNothingMore();
        second.send(open("s1"));
        second.expectNothingMore();

        assertTrue(node.direct("s1", "notice", "{\"text\":\"hi\"}"));
        assertTrue(node.kick("s1", 4003, "token revoked"));

        assertEquals(new JsonObject("{\"type\":\"direct\",\"session\":\"s1\",\"event\":\"notice\",\"data\":{\"text\":\"hi\"}}"),
                second.next());
        assertEquals(new JsonObject().put("type", "kick").put("session", "s1").put("code", 4003)
                .put("reason", "token revoked"), second.next());
        first.expectNothingMore();
    }

    @Test
    void closedSessionIsNoLongerReachable() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");
        gateway.send(open("s1"), new JsonObject().put("type", "close").put("session", "s1").put("code", 1001));
        gateway.expectNothingMore();

        assertFalse(node.direct("s1", "notice", "1"));
        assertFalse(node.direct("never-opened", "notice", "1"));
    }

    @Test
    void sessionsOfAClosedLinkAreForgotten() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");
        gateway.send(open("s1"));
        gateway.expectNothingMore();

        gateway.close();

        await().atMost(Duration.ofSeconds(5)).until(() -> !node.direct("s1", "notice", "1"));
    }

    @Test
    void recordsFramesInArrivalOrderAndByType() {
        TestGateway gateway = TestGateway.welcomed(vertx, node, "secret");
        gateway.send(open("s1"), open("s2"));
        gateway.expectNothingMore();

        assertEquals(List.of("hello", "open", "open", "sub"),
                node.received().stream().map(frame -> frame.getString("type")).toList());
        assertEquals(List.of("s1", "s2"), node.received("open").stream().map(f -> f.getString("session")).toList());
        node.clearReceived();
        assertEquals(List.of(), node.received());
    }

    private int healthStatus() {
        HttpClient client = vertx.createHttpClient();
        try {
            return await(client.request(HttpMethod.GET, node.port(), ReferenceNode.HOST, "/health")
                    .compose(request -> request.send())
                    .map(HttpClientResponse::statusCode));
        } finally {
            client.close();
        }
    }
}
