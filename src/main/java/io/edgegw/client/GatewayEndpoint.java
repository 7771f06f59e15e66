package io.edgegw.client;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.jboss.logging.Logger;

import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.Fanout;
import io.edgegw.fanout.FanoutShard;
import io.edgegw.observe.Draining;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData.TypedKey;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.netty.handler.codec.http.QueryStringDecoder;
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
    /** Set on the gateway's own warm-up links ({@link LinkWarmup}), which no client metric counts. */
    private static final TypedKey<Boolean> WARMUP_LINK = new TypedKey<>("gateway.warmup");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final GatewayConfig config;
    private final Fanout fanout;
    private final SessionRegistry registry;
    private final SessionServices services;
    private final OriginPolicy origins;
    private final BrowserAuth auth;
    private final ResumeTokens resumeTokens;
    private final Draining draining;
    private final LinkWarmup warmup;

    public GatewayEndpoint(GatewayConfig config, Fanout fanout, SessionRegistry registry, SessionServices services,
            OriginPolicy origins, BrowserAuth auth, ResumeTokens resumeTokens, Draining draining, LinkWarmup warmup) {
        this.draining = draining;
        this.warmup = warmup;
        this.auth = auth;
        this.resumeTokens = resumeTokens;
        this.config = config;
        this.fanout = fanout;
        this.registry = registry;
        this.services = services;
        this.origins = origins;
    }

    @OnOpen
    @NonBlocking
    void onOpen(WebSocketConnection connection) {
        boolean warmupLink = warmup.claims(connection);
        if (warmupLink) {
            connection.userData().put(WARMUP_LINK, Boolean.TRUE); // first: onClose must know it, refused or not
        } else {
            // counted here rather than from WebSockets Next's @Open/@Closed CDI events: those are fired
            // asynchronously (a worker task and a context capture per link) only when someone observes them
            services.metrics().clientOpened(); // a link refused after the upgrade counts too, with the code it got
        }
        try {
            open(connection, warmupLink);
        } catch (RuntimeException | Error e) {
            // a browser must never be left on an open link without a welcome: it would wait for ever
            LOG.errorf(e, "link %s: could not open a session, closing with 1011", connection.id());
            refuse(connection, CloseCode.INTERNAL_ERROR, "internal error");
        }
    }

    /**
     * Opens a browser's session, or a warm-up link's: the warm-up is there for the JIT to compile this very path
     * before browsers come (a separate path for it left this one to be compiled under the first storm), so a warm-up
     * link skips only the verdicts it cannot pass (origin and token; its origin, the loopback one, is still
     * evaluated, for the JIT) and what must not hear of it (the cluster, the session count).
     */
    private void open(WebSocketConnection connection, boolean warmupLink) {
        if (draining.isDraining()) {
            refuse(connection, CloseCode.SERVICE_RESTART, "service restart");
            return;
        }
        if (warmupLink && warmup.isFinished()) { // cut while it connected
            refuse(connection, CloseCode.NORMAL, "warm-up over");
            return;
        }
        // checked before the origin and the token: at capacity, a flood of upgrades costs no token verification
        if (services.metrics().sessions().get() >= config.client().maxSessions()) {
            refuse(connection, CloseCode.TRY_AGAIN_LATER, "at capacity");
            return;
        }
        boolean originAllowed = origins.allows(connection.handshakeRequest().header("Origin"));
        if (!originAllowed && !warmupLink) {
            refuse(connection, CloseCode.POLICY_VIOLATION, "origin not allowed");
            return;
        }
        Map<String, List<String>> query = queryParams(connection); // a bad %-escape never gets here: Vert.x answers 400
        BrowserAuth.Outcome auth = null;
        if (this.auth.enabled() && !warmupLink) {
            auth = this.auth.check(queryParam(query, this.auth.queryParam()));
            if (!auth.isAccepted()) {
                refuse(connection, auth.refusal(), auth.reason());
                return;
            }
        }
        String user = auth == null ? null : auth.user();
        Optional<ResumeTokens.Resume> resume = resumeTokens.verify(queryParam(query, "resume"))
                .filter(r -> Objects.equals(r.user(), user)); // a token never moves a session to another user
        String id = resume.map(ResumeTokens.Resume::session).orElseGet(GatewayEndpoint::newSessionId);

        FanoutShard shard = fanout.shardOfCurrentLoop();
        ClientSession session = new ClientSession(id, user, auth == null ? null : auth.allowedTopics(), connection,
                shard, services, warmupLink);
        connection.userData().put(SESSION, session);
        if (!warmupLink) {
            services.metrics().sessions().incrementAndGet();
        }
        ClientSession previous = registry.add(session);
        if (user != null && config.session().singlePerUser()) {
            ClientSession older = registry.newestOfUser(session);
            if (older != null) {
                older.shard().enqueue((Runnable) () -> older.close(CloseCode.SESSION_REPLACED.code(),
                        "session replaced by a newer connection of the same user"));
            }
        } else if (user != null) {
            registry.newestOfUser(session);
        }
        Map<String, SessionState.Position> clientPositions = resume.isPresent()
                ? SessionState.parsePositions(queryParam(query, "since"))
                : Map.of();
        if (previous != null) {
            // resumed on this gateway: the predecessor hands over its state on its own loop
            session.awaitRestore();
            previous.shard().enqueue((Runnable) () -> previous.handOverTo(
                    state -> shard.enqueue((Runnable) () -> session.restore(state.withPositions(clientPositions)))));
        } else {
            // a valid token whose session this gateway no longer holds (expired here, or another replica):
            // the id survives, nothing else
            session.welcome(resume.isPresent() ? SessionState.EMPTY : null);
        }
        if (auth != null) {
            session.expireAt(auth.expiresAtMs());
        }
        if (!warmupLink) { // the cluster never hears of a warm-up link
            services.pool().sessionOpened(session.id(), session.user(), session.link());
        }
    }

    /** The upgrade request's query parameters, decoded once. */
    private static Map<String, List<String>> queryParams(WebSocketConnection connection) {
        String query = connection.handshakeRequest().query();
        return query == null || query.isEmpty() ? Map.of() : new QueryStringDecoder(query, false).parameters();
    }

    private static String queryParam(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Accepted, then closed at once: a browser can tell the code from a refused upgrade (seen as 1006). */
    private static void refuse(WebSocketConnection connection, CloseCode code, String reason) {
        connection.close(new CloseReason(code.code(), reason)).subscribe().with(ok -> {
        }, failure -> {
        });
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
        // the gateway's own code when it closed the link (a slow consumer that no longer reads never echoes it),
        // else the code of the close frame received; WebSockets Next reports a link that died without a close frame
        // as 1005 (no status), as it does a close frame without a code
        ClientSession session = connection.userData().get(SESSION);
        boolean browser = connection.userData().get(WARMUP_LINK) == null; // warm-up links are in no client metric
        if (browser) {
            int sent = session == null ? 0 : session.closeCodeSent();
            services.metrics().clientClosed(sent != 0 ? sent
                    : reason == null ? CloseReason.EMPTY.getCode() : reason.getCode());
        }
        if (session != null) {
            if (browser) {
                services.metrics().sessions().decrementAndGet();
            }
            session.ended(reason == null ? 1006 : reason.getCode());
        }
    }

    @OnError
    @NonBlocking
    void onError(Throwable failure, WebSocketConnection connection) {
        ClientSession session = connection.userData().get(SESSION);
        String id = session == null ? connection.id() : session.id();
        if (failure instanceof io.vertx.core.http.HttpClosedException) {
            LOG.debugf("session %s: link lost without a close frame", id); // routine: networks drop links
        } else {
            LOG.warnf("session %s: %s", id, failure.toString());
        }
    }

    /** 128 bits from a CSPRNG: a session id cannot be guessed to steal its directs. */
    private static String newSessionId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "s-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
