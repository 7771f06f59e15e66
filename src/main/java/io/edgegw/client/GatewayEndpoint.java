package io.edgegw.client;

import java.security.SecureRandom;
import java.util.Base64;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.Fanout;
import io.edgegw.fanout.FanoutShard;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData.TypedKey;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.vertx.core.buffer.Buffer;

/**
 * The browser endpoint {@code /ws}. Every callback is non-blocking, so it runs on the connection's own event loop,
 * where its {@link ClientSession} lives.
 */
@WebSocket(path = "/ws")
public class GatewayEndpoint {

    private static final Logger LOG = Logger.getLogger(GatewayEndpoint.class);
    private static final TypedKey<ClientSession> SESSION = new TypedKey<>("gateway.session");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final GatewayConfig config;
    private final Fanout fanout;
    private final SessionRegistry registry;
    private final SessionServices services;
    private final OriginPolicy origins;

    public GatewayEndpoint(GatewayConfig config, Fanout fanout, SessionRegistry registry, SessionServices services,
            OriginPolicy origins) {
        this.config = config;
        this.fanout = fanout;
        this.registry = registry;
        this.services = services;
        this.origins = origins;
    }

    @OnOpen
    @NonBlocking
    void onOpen(WebSocketConnection connection) {
        String origin = connection.handshakeRequest().header("Origin");
        if (!origins.allows(origin)) {
            // accepted, then closed at once: a browser can tell 1008 from a refused upgrade (seen as 1006)
            connection.close(new CloseReason(CloseCode.POLICY_VIOLATION.code(), "origin not allowed"))
                    .subscribe().with(ok -> {
                    }, failure -> {
                    });
            return;
        }
        FanoutShard shard = fanout.shardOfCurrentLoop();
        ClientSession session = new ClientSession(newSessionId(), null, connection, shard, services);
        connection.userData().put(SESSION, session);
        registry.add(session);
        services.metrics().sessions().set(registry.size());
        session.welcome(config.client().heartbeat().toMillis());
        services.pool().sessionOpened(session.id(), session.user());
    }

    @OnTextMessage
    @NonBlocking
    void onText(String frame, WebSocketConnection connection) {
        ClientSession session = connection.userData().get(SESSION);
        if (session == null) {
            return;
        }
        if (isTooBig(frame)) {
            session.close(CloseCode.MESSAGE_TOO_BIG.code(),
                    "frame larger than " + config.client().maxFrameSize() + " bytes");
            return;
        }
        session.onText(frame);
    }

    private boolean isTooBig(String frame) {
        int limit = config.client().maxFrameSize();
        // chars are a lower bound of UTF-8 bytes, and a char is at most 3 bytes: encode only when in doubt
        return frame.length() > limit
                || frame.length() * 3L > limit && frame.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > limit;
    }

    @OnBinaryMessage
    @NonBlocking
    void onBinary(Buffer frame, WebSocketConnection connection) {
        ClientSession session = connection.userData().get(SESSION);
        if (session != null && frame.length() > config.client().maxFrameSize()) {
            session.close(CloseCode.MESSAGE_TOO_BIG.code(),
                    "frame larger than " + config.client().maxFrameSize() + " bytes");
        } else if (session != null) {
            session.onBinary();
        }
    }

    @OnClose
    @NonBlocking
    void onClose(CloseReason reason, WebSocketConnection connection) {
        ClientSession session = connection.userData().get(SESSION);
        if (session != null) {
            registry.remove(session);
            services.metrics().sessions().set(registry.size());
            session.ended(reason == null ? 1006 : reason.getCode());
        }
    }

    @OnError
    @NonBlocking
    void onError(Throwable failure, WebSocketConnection connection) {
        ClientSession session = connection.userData().get(SESSION);
        LOG.warnf("session %s: %s", session == null ? connection.id() : session.id(), failure.toString());
    }

    /** 128 bits from a CSPRNG: a session id cannot be guessed to steal its directs. */
    private static String newSessionId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "s-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
