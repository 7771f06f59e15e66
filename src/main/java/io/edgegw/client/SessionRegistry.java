package io.edgegw.client;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgegw.fanout.TopicDelivery;
import io.edgegw.upstream.SessionRouter;

/**
 * Every open browser session by id. Routes what a node addresses to one session onto that session's own loop,
 * in arrival order with the topic messages for it.
 */
@ApplicationScoped
public class SessionRegistry implements SessionRouter {

    private final Map<String, ClientSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, ClientSession> sessionOfUser = new ConcurrentHashMap<>();

    /** Registers a session; returns the one it replaces (live or held for a resume), if any. */
    ClientSession add(ClientSession session) {
        return sessions.put(session.id(), session);
    }

    /** Records the newest session of a user; returns the user's previous live session, if any. */
    ClientSession newestOfUser(ClientSession session) {
        ClientSession previous = sessionOfUser.put(session.user(), session);
        return previous == session || previous == null || previous.id().equals(session.id()) ? null : previous;
    }

    /** Forgets a session; false when it was not the registered one (a resumed successor took its place). */
    boolean remove(ClientSession session) {
        boolean removed = sessions.remove(session.id(), session);
        if (session.user() != null) {
            sessionOfUser.remove(session.user(), session);
        }
        return removed;
    }

    public int size() {
        return sessions.size();
    }

    /** A snapshot of every session, live or held for a resume. */
    List<ClientSession> all() {
        return List.copyOf(sessions.values());
    }

    /** The sessions, live and held for a resume, as a weakly consistent view (for metrics sampling). */
    public java.util.Collection<ClientSession> sessions() { return java.util.Collections.unmodifiableCollection(sessions.values()); }

    @Override
    public void direct(String session, String event, String rawData) {
        onLoopOf(session, target -> target.direct(event, rawData));
    }

    @Override
    public void sendOutcome(String session, String id, String errorCode, String message) {
        onLoopOf(session, target -> target.sendOutcome(id, errorCode, message));
    }

    @Override
    public void recovered(String session, String topic, long request, List<TopicDelivery> messages,
            TopicDelivery gap) {
        onLoopOf(session, target -> target.recovered(topic, request, messages, gap));
    }

    @Override
    public void kick(String session, int code, String reason) {
        onLoopOf(session, target -> target.kick(code, reason));
    }

    /** Passes a kick that reached {@code from} after a resume replaced it on to the session that replaced it. */
    void kickSuccessor(ClientSession from, int code, String reason) {
        onSuccessorOf(from, successor -> successor.kick(code, reason));
    }

    /**
     * Runs {@code action} on the loop of the session registered under {@code from}'s id in its place (a resumed
     * successor); nothing when there is none.
     */
    void onSuccessorOf(ClientSession from, Consumer<ClientSession> action) {
        ClientSession successor = sessions.get(from.id());
        if (successor != null && successor != from) {
            successor.shard().enqueue((Runnable) () -> action.accept(successor));
        }
    }

    /** Runs {@code action} on the session's own loop, in order with its topic messages; nothing if it is gone. */
    private void onLoopOf(String session, Consumer<ClientSession> action) {
        ClientSession target = sessions.get(session);
        if (target != null) {
            target.shard().enqueue((Runnable) () -> action.accept(target));
        }
    }
}
