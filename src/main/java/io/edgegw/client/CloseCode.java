package io.edgegw.client;

/**
 * Close codes the gateway sends to browsers (PROTOCOL.md section 1), each with what a client should do.
 * 1006 is absent on purpose: it is what a client sees when a link dies without a close frame, never sent.
 */
public enum CloseCode {
    NORMAL(1000, "stop"),
    GOING_AWAY(1001, "reconnect on the next send, or at once with subscriptions"),
    POLICY_VIOLATION(1008, "stop and report"),
    MESSAGE_TOO_BIG(1009, "fix the client, then reconnect"),
    INTERNAL_ERROR(1011, "reconnect with backoff and jitter"),
    SERVICE_RESTART(1012, "reconnect with backoff and jitter, then resume"),
    TRY_AGAIN_LATER(1013, "reconnect with backoff and jitter"),
    SESSION_REPLACED(4001, "stop"),
    SLOW_CONSUMER(4002, "reconnect with backoff, then resume"),
    TOKEN_EXPIRED(4003, "get a fresh token, then reconnect");

    private final int code;
    private final String clientAdvice;

    CloseCode(int code, String clientAdvice) {
        this.code = code;
        this.clientAdvice = clientAdvice;
    }

    public int code() {
        return code;
    }

    public String clientAdvice() {
        return clientAdvice;
    }
}
