package io.edgegw.upstream;

import io.vertx.core.buffer.Buffer;

/** What an {@link UpstreamConnection} reports to its pool; every call is on the upstream loop. */
interface ConnectionListener {

    /** The node welcomed this connection: it may carry sessions, subscriptions and sends. */
    void connected(UpstreamConnection connection);

    /** A connection that was {@link #connected} is gone; what it carried must move. */
    void disconnected(UpstreamConnection connection);

    /** One JSON message (a line of a text frame) from the node, after the welcome. */
    void text(UpstreamConnection connection, NodeFrame frame, long receivedNanos);

    /** A binary topic frame from the node. */
    void binary(UpstreamConnection connection, Buffer frame, long receivedNanos);

    /** A state change, for logs and metrics. */
    void transition(UpstreamConnection connection, UpstreamState from, UpstreamState to, String why);

    /** A failed attempt or a lost link, with the metric's code ({@code 1006}, {@code probe_failed}, ...). */
    void failure(UpstreamConnection connection, NodeRing.Node node, String code);
}
