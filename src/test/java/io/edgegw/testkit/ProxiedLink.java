package io.edgegw.testkit;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One connection through a {@link TcpProxy}: the socket it accepted from a client and the one it opened to the target,
 * relayed both ways with backpressure. When either side closes, both are closed.
 *
 * <p>Confined to the event loop that accepted the client socket (the target socket is opened from it, so it lives
 * there too). Other threads act only through {@link #cut()}, {@link #stall(boolean)} and {@link #closeIfBytesLost()},
 * which hop onto it.
 */
final class ProxiedLink {

    private final Context context;
    private final NetSocket client;
    private final SocketAddress clientAddress;
    private final BooleanSupplier blackholed;
    private final Consumer<ProxiedLink> onClosed;
    private final Promise<Void> closed = Promise.promise();
    private NetSocket target;
    private boolean closing;
    private boolean lostBytes;
    private boolean stalled;
    private boolean holdingClientBytes;
    private boolean targetQueueFull;
    private boolean clientQueueFull;

    /** Holds the client's bytes until {@link #attach} has a target to relay them to. */
    ProxiedLink(NetSocket client, Context context, BooleanSupplier blackholed, Consumer<ProxiedLink> onClosed) {
        this.context = context;
        this.client = client;
        this.clientAddress = client.remoteAddress();
        this.blackholed = blackholed;
        this.onClosed = onClosed;
        client.pause();
        client.exceptionHandler(ignored -> close());
        client.closeHandler(ignored -> close());
    }

    /** Starts relaying once the connection to the target is made; closes the client if it failed. */
    void attach(AsyncResult<NetSocket> connected) {
        if (connected.failed()) {
            close();
            return;
        }
        target = connected.result();
        if (closing) {
            target.close();
            return;
        }
        target.exceptionHandler(ignored -> close());
        target.closeHandler(ignored -> close());
        relay(client, target);
        relay(target, client);
        if (stalled) {
            target.pause();
        }
        if (!holdingClientBytes) {
            client.resume();
        }
    }

    private void relay(NetSocket from, NetSocket to) {
        from.handler(bytes -> {
            if (closing) {
                return;
            }
            if (blackholed.getAsBoolean()) {
                lostBytes = true;
                return;
            }
            to.write(bytes);
            if (to.writeQueueFull()) {
                from.pause();
                markQueueFull(to, true);
                to.drainHandler(ignored -> {
                    markQueueFull(to, false);
                    if (!(stalled && from == target) && !(holdingClientBytes && from == client)) {
                        from.resume();
                    }
                });
            }
        });
    }

    private void markQueueFull(NetSocket socket, boolean full) {
        if (socket == client) {
            clientQueueFull = full;
        } else {
            targetQueueFull = full;
        }
    }

    /**
     * Stops (or resumes) reading what the target sends on this link, as a browser whose page stopped reading: TCP's
     * flow control then fills the target's socket buffers and its writes stay pending. Completes on the link's loop.
     */
    Future<Void> stall(boolean on) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(ignored -> {
            stalled = on;
            if (target != null && !closing) {
                if (on) {
                    target.pause();
                } else if (!clientQueueFull) {
                    target.resume();
                }
            }
            done.complete();
        });
        return done.future();
    }

    /**
     * Stops (or resumes) relaying what the client sends on this link, as a target that stopped reading it: the
     * client's requests wait in the proxy and the client's socket buffers while what the target sends still flows.
     * Nothing is lost: resuming relays it all. Completes on the link's loop.
     */
    Future<Void> holdClientBytes(boolean on) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(ignored -> {
            holdingClientBytes = on;
            if (target != null && !closing) {
                if (on) {
                    client.pause();
                } else if (!targetQueueFull) {
                    client.resume();
                }
            }
            done.complete();
        });
        return done.future();
    }

    /** The client's end of this connection, as the proxy sees its peer. */
    SocketAddress clientAddress() {
        return clientAddress;
    }

    /** Closes both sides, from any thread; completes once both sockets are closed. */
    Future<Void> cut() {
        context.runOnContext(ignored -> close());
        return closed.future();
    }

    /**
     * After a blackhole: a link that swallowed bytes carries a broken stream (the bytes are gone, unlike in a real
     * partition where TCP would resend them), so it is cut; a link that swallowed nothing goes on.
     */
    Future<Void> closeIfBytesLost() {
        Promise<Void> done = Promise.promise();
        context.runOnContext(ignored -> {
            if (lostBytes) {
                close();
            }
            done.complete();
        });
        return done.future();
    }

    private void close() {
        if (closing) {
            return;
        }
        closing = true;
        Future<Void> targetClosed = target == null ? Future.succeededFuture() : target.close();
        Future.join(client.close(), targetClosed).onComplete(ignored -> closed.tryComplete());
        onClosed.accept(this);
    }
}
