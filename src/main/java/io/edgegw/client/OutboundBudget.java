package io.edgegw.client;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One event loop's share of {@code gateway.client.max-outbound-bytes-total}: the bytes written to the browsers whose
 * links live on that loop and not yet taken by their sockets. The per-session bound alone lets every session hold
 * {@code max-outbound-bytes} at once, far more than the heap when many browsers stop reading together (a mobile
 * network that degrades); out of heap, the JVM exits and every session is lost.
 *
 * <p>Within its share a loop admits every write. Past it, it refuses writes to the sessions that hold more than twice
 * the mean (the largest holders go first, while browsers that all lag a little go on); past twice its share, to every
 * session with something still pending. A session whose socket keeps up (nothing pending) is always admitted.
 * {@link ClientSession} closes a refused session with 4002. The loop's total so stays under twice its share plus one
 * frame per session.
 *
 * <p>Confined to its loop. The total is published with opaque writes, for the metrics gauge on another thread.
 */
final class OutboundBudget {

    private final long share;
    private final AtomicLong unflushed = new AtomicLong();
    private int sessions;

    OutboundBudget(long share) {
        if (share <= 0) {
            throw new IllegalArgumentException("an event loop's share of the outbound budget must be more than 0: "
                    + share);
        }
        this.share = share;
    }

    /** Whether a session holding {@code sessionUnflushed} bytes may write {@code size} more. */
    boolean admits(long sessionUnflushed, long size) {
        long total = unflushed.getPlain();
        if (total + size <= share || sessionUnflushed == 0) {
            return true;
        }
        if (total + size > 2 * share) {
            return false;
        }
        return sessionUnflushed + size <= 2 * (total / Math.max(1, sessions));
    }

    void reserve(long size) {
        unflushed.setOpaque(unflushed.getPlain() + size);
    }

    void release(long size) {
        unflushed.setOpaque(unflushed.getPlain() - size);
    }

    /** A session opened on this loop. */
    void join() {
        sessions++;
    }

    /** A session of this loop ended. */
    void leave() {
        sessions--;
    }

    /** Bytes written on this loop and not yet taken by the sockets; from any thread (may be a little stale). */
    long unflushed() {
        return unflushed.getOpaque();
    }

    long share() {
        return share;
    }
}
