package io.edgegw.testkit;

import io.vertx.core.Context;
import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blocks a test thread on a Vert.x {@link Future}. */
public final class Futures {

    private Futures() {
    }

    /**
     * Waits for {@code future} and returns its result.
     *
     * @param what names the operation in failure messages, e.g. {@code "WebSocket upgrade of ws://…"}
     * @throws AssertionError if it does not complete within {@code timeout}
     * @throws CompletionException if it fails; the cause is the future's own failure
     * @throws IllegalStateException when called on a Vert.x thread, which the future may need to complete
     */
    public static <T> T await(Future<T> future, Duration timeout, String what) {
        requireNotOnVertxThread(what);
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + timeout);
        } catch (ExecutionException e) {
            throw new CompletionException(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /** Fails fast instead of blocking an event loop (or worker) that the awaited work may need. */
    static void requireNotOnVertxThread(String what) {
        if (Context.isOnVertxThread()) {
            throw new IllegalStateException("cannot block a Vert.x thread waiting for " + what);
        }
    }
}
