package io.edgegw.testkit;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * What one {@link TestClient} has received: messages, binary frames, pongs and the close. The client's event loop
 * records, test threads read and wait; every field is guarded by this object's monitor, and each record wakes the
 * waiters.
 */
final class Inbox {

    /** What a browser reports when the link died without a close frame; Vert.x reports no code at all then. */
    static final int ABNORMAL_CLOSURE = 1006;
    private static final int MESSAGES_SHOWN_ON_FAILURE = 20;

    private final List<JsonObject> messages = new ArrayList<>();
    private final List<String> malformedLines = new ArrayList<>();
    private final List<Buffer> binaryFrames = new ArrayList<>();
    private int textFrames;
    private int pongs;
    private boolean closed;
    private Integer closeCode;
    private String closeReason;
    private Throwable lastError;

    // ---- recorded on the client's event loop

    void onText(String frame) {
        List<JsonObject> parsed = new ArrayList<>();
        List<String> malformed = new ArrayList<>();
        for (String line : Frames.lines(frame)) {
            JsonObject message = Frames.parseOrNull(line);
            if (message == null) {
                malformed.add(line);
            } else {
                parsed.add(message);
            }
        }
        synchronized (this) {
            textFrames++;
            messages.addAll(parsed);
            malformedLines.addAll(malformed);
            notifyAll();
        }
    }

    synchronized void onBinary(Buffer frame) {
        binaryFrames.add(frame);
        notifyAll();
    }

    synchronized void onPong() {
        pongs++;
        notifyAll();
    }

    synchronized void onError(Throwable error) {
        lastError = error;
    }

    synchronized void onClose(Short code, String reason) {
        closed = true;
        closeCode = code == null ? ABNORMAL_CLOSURE : code.intValue();
        closeReason = reason;
        notifyAll();
    }

    // ---- read by test threads

    synchronized List<JsonObject> messages() {
        requireWellFormed();
        return List.copyOf(messages);
    }

    synchronized List<Buffer> binaryFrames() {
        return List.copyOf(binaryFrames);
    }

    synchronized int textFrames() {
        return textFrames;
    }

    synchronized int pongs() {
        return pongs;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized Integer closeCode() {
        return closeCode;
    }

    synchronized String closeReason() {
        return closeReason;
    }

    /**
     * Waits for the {@code nth} message (1-based) that {@code match} accepts, among those received so far and later.
     *
     * @param what describes the awaited message in failure messages
     * @throws AssertionError on timeout, or at once when the connection closed without it
     */
    synchronized JsonObject awaitMatch(Predicate<JsonObject> match, int nth, Duration timeout, String what) {
        Futures.requireNotOnVertxThread(what);
        long deadline = System.nanoTime() + timeout.toNanos();
        int scanned = 0;
        int found = 0;
        while (true) {
            requireWellFormed();
            while (scanned < messages.size()) {
                JsonObject message = messages.get(scanned++);
                if (match.test(message) && ++found == nth) {
                    return message;
                }
            }
            if (closed) {
                throw new AssertionError("connection closed before " + what + " (" + found + " of " + nth
                        + " arrived); " + describe());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + what + " within " + timeout + " (" + found + " of " + nth
                        + " arrived); " + describe());
            }
            waitNanos(left);
        }
    }

    /** Waits for the close; returns whether it came within {@code timeout}. */
    synchronized boolean awaitClosed(Duration timeout) {
        Futures.requireNotOnVertxThread("the close of a WebSocket");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            waitNanos(left);
        }
        return true;
    }

    /** The state and the last messages, for failure messages. */
    synchronized String describe() {
        StringBuilder text = new StringBuilder();
        text.append(closed ? "closed with " + closeCode : "open");
        if (closeReason != null) {
            text.append(" \"").append(closeReason).append('"');
        }
        if (lastError != null) {
            text.append(", last error ").append(lastError);
        }
        text.append(", ").append(textFrames).append(" text frames, ").append(messages.size()).append(" messages");
        int first = Math.max(0, messages.size() - MESSAGES_SHOWN_ON_FAILURE);
        if (first > 0) {
            text.append(" (first ").append(first).append(" not shown)");
        }
        for (JsonObject message : messages.subList(first, messages.size())) {
            text.append("\n  ").append(message.encode());
        }
        return text.toString();
    }

    /** PROTOCOL.md section 0: every line is a JSON object. A test must not pass over a line that is not. */
    private void requireWellFormed() {
        if (!malformedLines.isEmpty()) {
            throw new AssertionError("received lines that are not JSON objects: " + malformedLines);
        }
    }

    private void waitNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.timedWait(this, nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
