package io.edgegw.upstream;

/**
 * Where the upstream side hands what a node addressed to one browser session. Routed by session id across the
 * whole gateway, whichever connection it came on. Called on the upstream loop; implementations hop to the session's
 * own loop.
 */
public interface SessionRouter {

    /** A {@code direct} for the session: the browser gets {@code {"type":"direct","event":..,"data":..}}. */
    void direct(String session, String event, String rawData);

    /** The outcome of a browser {@code send}: {@code errorCode} null for an ack, else the error to report. */
    void sendOutcome(String session, String id, String errorCode, String message);

    /**
     * The answer to the session's recovery {@code request}: the messages after the requested offset (oldest
     * first), or a {@code gap} frame (then {@code messages} is empty).
     */
    void recovered(String session, String topic, long request,
            java.util.List<io.edgegw.fanout.TopicDelivery> messages, io.edgegw.fanout.TopicDelivery gap);

    /** Close that session with a 4000–4999 code. */
    void kick(String session, int code, String reason);
}
