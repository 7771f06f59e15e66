package io.edgegw.testkit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final long LIMIT = 64L * 1024 * 1024;

    private static Vertx serverVertx;
    private static EchoServer echo;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TcpProxy proxy;

    @BeforeAll
    static void startEchoServer() {
        serverVertx = Vertx.vertx();
        echo = EchoServer.start(serverVertx, "a");
    }

    @AfterAll
    static void stopEchoServer() {
        echo.close();
        Futures.await(serverVertx.close(), WAIT, "vertx close");
    }

    @AfterEach
    void closeResources() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private TestClient client() {
        TestClient client = TestClient.connect(proxyUrl());
        resources.add(client);
        return client;
    }

    private String proxyUrl() {
        return "ws://127.0.0.1:" + proxy.port() + "/ws";
    }

    @Test
    void relaysBothWaysAndCountsConnections() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        long before = System.nanoTime();

        TestClient client = client();
        client.sendJson(echoRequest("1"));

        assertEquals("a", client.welcome().getString("server"));
        client.awaitReply("1", WAIT);
        assertEquals(1, proxy.openConnections());
        assertEquals(1, proxy.acceptedConnections());
        assertTrue(proxy.acceptTimesNanos().get(0) - before >= 0);
    }

    @Test
    void cutEndsEveryLinkWithoutACloseFrameAndStillAcceptsNewOnes() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        TestClient first = client();
        TestClient second = client();
        first.welcome();
        second.welcome();
        int closesBefore = echo.closeCodes().size();

        proxy.cut();

        assertEquals(1006, first.awaitClose(WAIT));
        assertEquals(1006, second.awaitClose(WAIT));
        await().atMost(WAIT).until(() -> echo.closeCodes().size() == closesBefore + 2);
        assertNull(echo.closeCodes().get(closesBefore), "the server saw no close frame either");
        assertEquals(0, proxy.openConnections());
        assertEquals("a", client().welcome().getString("server"));
    }

    @Test
    void blackholeSwallowsBytesAndPingsUntilItEnds() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        TestClient client = client();
        client.welcome();
        client.ping();
        await().atMost(WAIT).until(() -> client.pongCount() == 1);

        proxy.blackhole(true);
        client.sendJson(echoRequest("swallowed"));
        client.ping();

        await().during(QUIET).atMost(QUIET.multipliedBy(3))
                .until(() -> client.frames("echo").isEmpty() && client.pongCount() == 1 && !client.isClosed());
        assertEquals(1, proxy.openConnections());

        proxy.blackhole(false);

        assertEquals(1006, client.awaitClose(WAIT), "a link that lost bytes is cut when the blackhole ends");
    }

    @Test
    void blackholeKeepsAQuietLinkWhenItEnds() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        TestClient client = client();
        client.welcome();

        proxy.blackhole(true);
        proxy.blackhole(false);
        client.sendJson(echoRequest("after"));

        client.awaitReply("after", WAIT);
    }

    @Test
    void blackholeAcceptsNewConnectionsButSwallowsTheirHandshake() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        proxy.blackhole(true);

        Future<TestClient> connecting = TestClient.connectAsync(TestClient.sharedVertx(), proxyUrl(), Map.of(),
                List.of());

        await().atMost(WAIT).until(() -> proxy.acceptedConnections() == 1);
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> !connecting.isComplete());
        proxy.blackhole(false);
        await().atMost(WAIT).until(connecting::failed);
    }

    @Test
    void refuseClosesNewConnectionsRightAfterAccept() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        proxy.refuse(true);

        assertThrows(CompletionException.class, () -> TestClient.connect(proxyUrl()));
        assertEquals(1, proxy.acceptedConnections());
        assertEquals(0, proxy.openConnections());

        proxy.refuse(false);
        client().welcome();
        List<Long> accepts = proxy.acceptTimesNanos();
        assertEquals(2, accepts.size());
        assertTrue(accepts.get(1) - accepts.get(0) > 0);
    }

    @Test
    void retargetSendsOnlyNewConnectionsToTheNewTarget() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        try (EchoServer other = EchoServer.start(serverVertx, "b")) {
            TestClient old = client();
            old.welcome();

            proxy.retarget("127.0.0.1", other.port());

            assertEquals("b", client().welcome().getString("server"));
            old.sendJson(echoRequest("still-a"));
            old.awaitReply("still-a", WAIT);
        }
    }

    @Test
    void aCloseOnOneSidePassesItsCloseFrameAndClosesTheOtherSide() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        TestClient client = client();

        client.sendJson(new JsonObject().put("type", "close-me").put("code", 4002).put("reason", "slow"));

        assertEquals(4002, client.awaitClose(WAIT));
        assertEquals("slow", client.closeReason());
        await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void relaysLargeTransfersIntact() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        TestClient client = client();
        byte[] payload = new byte[4 * 1024 * 1024];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }

        for (int i = 0; i < 8; i++) {
            client.sendBinary(payload);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> client.binaryFrames().size() == 8);
        client.binaryFrames().forEach(frame -> assertEquals(Buffer.buffer(payload), frame));
    }

    /** A writer through the proxy to a reader that stops reading must stall, not fill the proxy's memory. */
    @Test
    void appliesBackpressureToAWriterWhenTheReaderStops() {
        GatedWriter writer = GatedWriter.listen(LIMIT);
        proxy = TcpProxy.start("127.0.0.1", writer.port());
        AtomicLong read = new AtomicLong();
        NetSocket reader = connectReader(read);
        reader.pause();

        writer.start();

        writer.awaitStalled();
        assertTrue(writer.written() < LIMIT, "the writer should stall long before " + LIMIT + " bytes, yet wrote "
                + writer.written());

        reader.resume();

        await().atMost(Duration.ofSeconds(60)).until(() -> read.get() == LIMIT);
        assertFalse(reader.writeQueueFull());
        reader.close();
        writer.close();
    }

    /** A stalled link stops its writer however eagerly the client reads, loses nothing, and resumes when it ends. */
    @Test
    void stallStopsReadingFromTheTargetUntilItEnds() {
        GatedWriter writer = GatedWriter.listen(LIMIT);
        proxy = TcpProxy.start("127.0.0.1", writer.port());
        AtomicLong read = new AtomicLong();
        NetSocket reader = connectReader(read);

        proxy.stall(reader.localAddress(), true);
        writer.start();

        writer.awaitStalled();
        assertTrue(writer.written() < LIMIT, "the writer should stall long before " + LIMIT + " bytes, yet wrote "
                + writer.written());
        assertEquals(0, read.get(), "nothing reaches the reader while the link is stalled");

        proxy.stall(reader.localAddress(), false);

        await().atMost(Duration.ofSeconds(60)).until(() -> read.get() == LIMIT);
        reader.close();
        writer.close();
    }

    @Test
    void closeStopsListeningAndEndsEveryLink() {
        proxy = TcpProxy.start("127.0.0.1", echo.port());
        TestClient client = client();
        client.welcome();
        String url = proxyUrl();

        proxy.close();

        assertEquals(1006, client.awaitClose(WAIT));
        assertThrows(CompletionException.class, () -> TestClient.connect(url));
    }

    @Test
    void runsOnAGivenVertx() {
        proxy = TcpProxy.start(serverVertx, "127.0.0.1", echo.port());

        assertEquals("a", client().welcome().getString("server"));
        proxy.close();

        try (TestClient direct = TestClient.connect(echo.url())) {
            assertEquals("a", direct.welcome().getString("server"), "the given Vert.x still serves");
        }
    }

    /**
     * A client through the proxy that counts what it reads, once the proxy has connected it to the target. Its handler
     * is set before the target is told to write: bytes that reach a Vert.x socket without a handler are dropped.
     */
    private NetSocket connectReader(AtomicLong read) {
        NetSocket reader = Futures.await(serverVertx.createNetClient().connect(proxy.port(), "127.0.0.1"), WAIT,
                "reader connect");
        reader.handler(bytes -> read.addAndGet(bytes.length()));
        await().atMost(WAIT).until(() -> proxy.openConnections() == 1);
        return reader;
    }

    /** A target that writes {@code limit} bytes, as fast as its socket takes them, to the first link, once started. */
    private static final class GatedWriter {

        private final long limit;
        private final AtomicLong written = new AtomicLong();
        private final AtomicReference<Runnable> start = new AtomicReference<>();
        private NetServer server;

        private GatedWriter(long limit) {
            this.limit = limit;
        }

        static GatedWriter listen(long limit) {
            GatedWriter writer = new GatedWriter(limit);
            writer.server = serverVertx.createNetServer().connectHandler(socket -> {
                Context context = Vertx.currentContext();
                writer.start.set(() -> context.runOnContext(ignored -> writer.pump(socket)));
            });
            Futures.await(writer.server.listen(0, "127.0.0.1"), WAIT, "writer listen");
            return writer;
        }

        int port() {
            return server.actualPort();
        }

        /** Starts writing once the proxy has connected to this target. */
        void start() {
            await().atMost(WAIT).until(() -> start.get() != null);
            start.get().run();
        }

        /** Waits until the writer has written something and then nothing more for a while: its socket is full. */
        void awaitStalled() {
            AtomicLong previous = new AtomicLong(-1);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> written.get() > 0 && written.get() == previous.getAndSet(written.get()));
        }

        long written() {
            return written.get();
        }

        void close() {
            Futures.await(server.close(), WAIT, "writer close");
        }

        private void pump(NetSocket socket) {
            Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
            while (written.get() < limit && !socket.writeQueueFull()) {
                socket.write(chunk);
                written.addAndGet(chunk.length());
            }
            if (written.get() < limit) {
                socket.drainHandler(ignored -> pump(socket));
            }
        }
    }

    private static JsonObject echoRequest(String id) {
        return new JsonObject().put("type", "echo").put("id", id);
    }
}
