package io.edgegw.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jboss.logging.Logger;

import io.edgegw.fanout.FanoutShard;
import io.edgegw.fanout.IgnoreList;
import io.edgegw.fanout.Json;
import io.edgegw.fanout.Subscriber;
import io.edgegw.fanout.TopicDelivery;
import io.edgegw.fanout.TopicPattern;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.buffer.Buffer;

/**
 * One browser session: its subscriptions, its ignore list, its sends in flight and its outbound batch. Confined to
 * the event loop of its WebSocket (the loop of its {@link FanoutShard}): the endpoint callbacks and every action
 * routed to it from upstream run there, so nothing here needs a lock.
 */
public final class ClientSession implements Subscriber {

    private static final Logger LOG = Logger.getLogger(ClientSession.class);

    private final String id;
    private final String user;
    private final WebSocketConnection connection;
    private final FanoutShard shard;
    private final SessionServices services;

    private final Set<String> subscriptions = new LinkedHashSet<>();
    private IgnoreList ignores = IgnoreList.EMPTY;
    private final Set<String> sendsInFlight = new HashSet<>();
    /** The last (epoch, offset) delivered per exact subscription: where a resume continues from. */
    private final Map<String, Position> positions = new HashMap<>();
    /** Exact topics subscribed with {@code since} whose missed messages are on their way; null when none. */
    private Map<String, Recovery> recovering;

    private static final class Position {
        String epoch;
        long offset = -1;
    }

    private static final class Recovery {
        final String epoch;
        final long since;
        final List<TopicDelivery> live = new ArrayList<>();

        Recovery(String epoch, long since) {
            this.epoch = epoch;
            this.since = since;
        }
    }

    private final List<Object> outbox = new ArrayList<>();
    private final StringBuilder batch = new StringBuilder();
    private boolean touched;
    private long unflushedBytes;
    private boolean closed;

    ClientSession(String id, String user, WebSocketConnection connection, FanoutShard shard,
            SessionServices services) {
        this.id = id;
        this.user = user;
        this.connection = connection;
        this.shard = shard;
        this.services = services;
    }

    public String id() {
        return id;
    }

    public String user() {
        return user;
    }

    FanoutShard shard() {
        return shard;
    }

    /** The first frame on every link. */
    void welcome(long heartbeatMs) {
        reply("{\"type\":\"welcome\",\"protocol\":1,\"session\":" + Json.quote(id) + ",\"resume\":null,\"heartbeat\":"
                + heartbeatMs + ",\"restored\":null}");
        shard.flushTouched();
    }

    // ---- browser → gateway ----------------------------------------------------------------------------------

    /** A text frame from the browser: one request per line; the replies leave as one frame. */
    void onText(String frame) {
        int start = 0;
        int length = frame.length();
        while (start < length && !closed) {
            int end = frame.indexOf('\n', start);
            if (end < 0) {
                end = length;
            }
            String line = frame.substring(start, end).strip();
            if (!line.isEmpty()) {
                handle(line);
            }
            start = end + 1;
        }
        shard.flushTouched();
    }

    void onBinary() {
        error(null, ErrorCode.BAD_REQUEST, "binary frames are not accepted: send JSON text frames");
        shard.flushTouched();
    }

    private void handle(String line) {
        try {
            ClientRequest request = ClientRequest.parse(line);
            switch (request.type()) {
                case "ping" -> reply("{\"type\":\"pong\"}");
                case "subscribe" -> subscribe(request);
                case "unsubscribe" -> unsubscribe(request);
                case "ignore", "unignore" -> changeIgnores(request);
                case "send" -> send(request);
                default -> throw new IllegalStateException(request.type());
            }
        } catch (ClientRequest.RequestException e) {
            services.clientError(id, e.code, e.getMessage());
            error(e.id, e.code, e.getMessage());
        }
    }

    private void subscribe(ClientRequest request) throws ClientRequest.RequestException {
        requireValidPatterns(request);
        List<String> added = new ArrayList<>();
        for (String topic : request.topics()) {
            if (!subscriptions.contains(topic)) {
                added.add(topic);
            }
        }
        if (subscriptions.size() + added.size() > services.config().client().maxSubscriptions()) {
            throw new ClientRequest.RequestException(request.id(), ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                    "at most " + services.config().client().maxSubscriptions() + " subscriptions per session");
        }
        Map<String, Position> since = sincePositions(request);
        // the reply is queued before the index changes, so `subscribed` precedes every message of these topics
        reply("{\"type\":\"subscribed\",\"id\":" + Json.quote(request.id()) + ",\"topics\":"
                + Json.stringArray(request.topics()) + "}");
        for (String topic : added) {
            join(topic);
        }
        since.forEach((topic, position) -> recover(topic, position.epoch, position.offset));
    }

    private void join(String topic) {
        subscriptions.add(topic);
        if (TopicPattern.isValidTopic(topic)) {
            positions.put(topic, new Position());
        }
        if (shard.subscribe(topic, this)) {
            services.pool().demand(topic, +1);
        }
    }

    /** Asks for what came after {@code (epoch, offset)}; live messages wait until it arrives. */
    private void recover(String topic, String epoch, long offset) {
        if (recovering == null) {
            recovering = new HashMap<>();
        }
        recovering.put(topic, new Recovery(epoch, offset));
        services.pool().recover(id, topic, epoch, offset);
    }

    /** The answer to {@link #recover}: a gap or the missed messages, then the live ones held meanwhile, once each. */
    void recovered(String topic, List<TopicDelivery> messages, String gapLine) {
        Recovery recovery = recovering == null ? null : recovering.remove(topic);
        if (recovery == null) {
            return; // unsubscribed meanwhile
        }
        if (recovering.isEmpty()) {
            recovering = null;
        }
        if (gapLine != null) {
            reply(gapLine);
        }
        String epoch = recovery.epoch;
        long last = recovery.since;
        for (TopicDelivery message : messages) {
            if (message.epoch().equals(epoch) && message.offset() > last) {
                deliver(message);
                last = message.offset();
            }
        }
        for (TopicDelivery live : recovery.live) {
            if (!live.epoch().equals(epoch) || live.offset() > last) {
                deliver(live);
            }
        }
    }

    private Map<String, Position> sincePositions(ClientRequest request) throws ClientRequest.RequestException {
        Map<String, Position> result = new LinkedHashMap<>();
        if (request.since() == null) {
            return result;
        }
        var fields = request.since().fields();
        while (fields.hasNext()) {
            var field = fields.next();
            String topic = field.getKey();
            var value = field.getValue();
            if (!request.topics().contains(topic) || !TopicPattern.isValidTopic(topic)) {
                throw new ClientRequest.RequestException(request.id(), ErrorCode.BAD_REQUEST,
                        "since names " + topic + ", which is not an exact topic of this request");
            }
            if (!value.isObject() || !value.path("epoch").isTextual() || !value.path("offset").canConvertToLong()
                    || !value.path("offset").isIntegralNumber() || value.path("offset").longValue() < 0) {
                throw new ClientRequest.RequestException(request.id(), ErrorCode.BAD_REQUEST,
                        "since." + topic + " must be {\"epoch\":string,\"offset\":integer}");
            }
            Position position = new Position();
            position.epoch = value.path("epoch").textValue();
            position.offset = value.path("offset").longValue();
            result.put(topic, position);
        }
        return result;
    }

    private void unsubscribe(ClientRequest request) throws ClientRequest.RequestException {
        requireValidPatterns(request);
        for (String topic : request.topics()) {
            leave(topic);
        }
        reply("{\"type\":\"unsubscribed\",\"id\":" + Json.quote(request.id()) + ",\"topics\":"
                + Json.stringArray(request.topics()) + "}");
    }

    private void leave(String topic) {
        positions.remove(topic);
        if (recovering != null) {
            recovering.remove(topic);
        }
        if (subscriptions.remove(topic) && shard.unsubscribe(topic, this)) {
            services.pool().demand(topic, -1);
        }
    }

    private void changeIgnores(ClientRequest request) throws ClientRequest.RequestException {
        requireValidPatterns(request);
        boolean add = request.type().equals("ignore");
        for (String pattern : request.topics()) {
            ignores = add ? ignores.with(pattern) : ignores.without(pattern);
        }
        reply("{\"type\":\"" + (add ? "ignored" : "unignored") + "\",\"id\":" + Json.quote(request.id())
                + ",\"topics\":" + Json.stringArray(request.topics()) + "}");
    }

    private void send(ClientRequest request) throws ClientRequest.RequestException {
        if (sendsInFlight.contains(request.id())) {
            throw new ClientRequest.RequestException(request.id(), ErrorCode.BAD_REQUEST,
                    "duplicate id: a request with this id is still in flight");
        }
        if (sendsInFlight.size() >= services.config().client().maxInflightSends()) {
            services.metrics().send("rejected");
            throw new ClientRequest.RequestException(request.id(), ErrorCode.RATE_LIMITED,
                    "too many sends in flight: wait for their acks");
        }
        sendsInFlight.add(request.id());
        String line = "{\"type\":\"send\",\"session\":" + Json.quote(id) + ",\"id\":" + Json.quote(request.id())
                + ",\"event\":" + Json.quote(request.event()) + ",\"data\":" + request.dataJson() + "}";
        services.pool().send(id, request.id(), line);
    }

    private void requireValidPatterns(ClientRequest request) throws ClientRequest.RequestException {
        for (String topic : request.topics()) {
            if (!TopicPattern.isValidPattern(topic)) {
                throw new ClientRequest.RequestException(request.id(), ErrorCode.INVALID_TOPIC,
                        "invalid topic or pattern: " + topic);
            }
        }
    }

    // ---- upstream → browser (routed here on this session's loop) ------------------------------------------

    void direct(String event, String rawData) {
        reply("{\"type\":\"direct\",\"event\":" + Json.quote(event) + ",\"data\":"
                + (rawData == null ? "null" : rawData) + "}");
    }

    void sendOutcome(String requestId, String errorCode, String message) {
        if (!sendsInFlight.remove(requestId)) {
            return;
        }
        if (errorCode == null) {
            reply("{\"type\":\"ack\",\"id\":" + Json.quote(requestId) + "}");
        } else {
            reply(errorFrame(requestId, errorCode, message == null ? errorCode : message));
        }
    }

    void kick(int code, String reason) {
        close(code, reason == null ? "closed by the cluster" : reason);
    }

    // ---- fan-out and writing ------------------------------------------------------------------------------

    @Override
    public boolean ignores(String topic) {
        return !ignores.isEmpty() && ignores.matches(topic);
    }

    @Override
    public void deliver(TopicDelivery delivery) {
        if (recovering != null && !delivery.isControl()) {
            Recovery recovery = recovering.get(delivery.topic());
            if (recovery != null) {
                recovery.live.add(delivery); // held until what it missed has been delivered before it
                return;
            }
        }
        if (!delivery.isControl()) {
            Position position = positions.get(delivery.topic());
            if (position != null) {
                position.epoch = delivery.epoch();
                position.offset = delivery.offset();
            }
        }
        queue(delivery.payload());
    }

    private void queue(Object item) {
        if (closed) {
            return;
        }
        outbox.add(item);
        if (!touched) {
            touched = true;
            shard.touched(this);
        }
    }

    private void reply(String line) {
        queue(line);
    }

    private void error(String requestId, ErrorCode code, String message) {
        reply(errorFrame(requestId, code.wireName(), message));
    }

    private static String errorFrame(String requestId, String code, String message) {
        return "{\"type\":\"error\"" + (requestId == null ? "" : ",\"id\":" + Json.quote(requestId)) + ",\"code\":"
                + Json.quote(code) + ",\"message\":" + Json.quote(message) + "}";
    }

    @Override
    public void flush() {
        touched = false;
        if (closed || outbox.isEmpty()) {
            outbox.clear();
            return;
        }
        for (int i = 0; i < outbox.size(); i++) {
            Object item = outbox.get(i);
            if (item instanceof String line) {
                if (!batch.isEmpty()) {
                    batch.append('\n');
                }
                batch.append(line);
            } else {
                writeBatch();
                write((Buffer) item);
            }
        }
        writeBatch();
        outbox.clear();
    }

    private void writeBatch() {
        if (batch.isEmpty()) {
            return;
        }
        String frame = batch.toString();
        batch.setLength(0);
        long size = frame.length();
        if (!reserve(size)) {
            return;
        }
        connection.sendText(frame).subscribe().with(ok -> unflushedBytes -= size, failure -> unflushedBytes -= size);
    }

    private void write(Buffer binary) {
        long size = binary.length();
        if (!reserve(size)) {
            return;
        }
        connection.sendBinary(binary).subscribe().with(ok -> unflushedBytes -= size,
                failure -> unflushedBytes -= size);
    }

    /** Counts bytes the socket has not taken yet; a browser too slow to take them is disconnected with 4002. */
    private boolean reserve(long size) {
        if (unflushedBytes + size > services.config().client().maxOutboundBytes()) {
            services.metrics().dropped("slow_consumer", outbox.size());
            LOG.infof("session %s: slow consumer (%d bytes unflushed), closing with 4002", id, unflushedBytes);
            close(CloseCode.SLOW_CONSUMER.code(), "slow consumer");
            return false;
        }
        unflushedBytes += size;
        return true;
    }

    /** Closes the browser link with a code; the endpoint's close callback then ends the session. */
    void close(int code, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        outbox.clear();
        connection.close(new CloseReason(code, reason)).subscribe().with(ok -> {
        }, failure -> LOG.debugf("session %s: close failed: %s", id, failure.getMessage()));
    }

    /** The link is gone: leave every topic and tell the cluster. */
    void ended(int code) {
        closed = true;
        outbox.clear();
        for (String topic : List.copyOf(subscriptions)) {
            leave(topic);
        }
        services.pool().sessionClosed(id, code);
    }
}
