package io.edgegw.bench;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The benchmark's 100-byte message body, the same bytes for the gateway and the peer:
 * {@code {"ts":"<19 digits>","seq":"<10 digits>","pad":"xxx…"}}. {@code ts} is the publisher's
 * {@link System#nanoTime()}: publisher and clients share the load-generator process, so one clock serves both ends.
 * {@code seq} counts the topic's messages from 1 (the gateway's offset), so that a receiver sees loss and duplicates.
 * <p>
 * Receivers read the digits at fixed positions after the {@code {"ts":"} marker, from the bytes as they came off the
 * socket: no string, no JSON.
 */
final class Payload {

    static final int LENGTH = 100;
    static final int TS_AT = 7;
    static final int TS_DIGITS = 19;
    static final int SEQ_AT = TS_AT + TS_DIGITS + 9;
    static final int SEQ_DIGITS = 10;

    private static final byte[] MARKER = "{\"ts\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TEMPLATE = template();

    private Payload() {
    }

    private static byte[] template() {
        String head = "{\"ts\":\"" + "0".repeat(TS_DIGITS) + "\",\"seq\":\"" + "0".repeat(SEQ_DIGITS) + "\",\"pad\":\"";
        String body = head + "x".repeat(LENGTH - head.length() - 2) + "\"}";
        if (body.length() != LENGTH || body.indexOf("\"seq\":\"") + 7 != SEQ_AT) {
            throw new AssertionError("payload layout");
        }
        return body.getBytes(StandardCharsets.US_ASCII);
    }

    /** Fills {@code into} (at least {@link #LENGTH} bytes) with a payload. */
    static void write(byte[] into, long ts, long seq) {
        System.arraycopy(TEMPLATE, 0, into, 0, LENGTH);
        digits(into, TS_AT, TS_DIGITS, ts);
        digits(into, SEQ_AT, SEQ_DIGITS, seq);
    }

    private static void digits(byte[] into, int at, int count, long value) {
        for (int i = at + count - 1; i >= at; i--) {
            into[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }

    /** True when a payload starts at {@code at} in {@code buf} (the marker matches and the body fits). */
    static boolean startsAt(ByteBuf buf, int at, int end) {
        if (at < 0 || at + LENGTH > end) {
            return false;
        }
        for (int i = 0; i < MARKER.length; i++) {
            if (buf.getByte(at + i) != MARKER[i]) {
                return false;
            }
        }
        return true;
    }

    /** The first payload start in [from, end), or -1: the slow path, for a layout the fixed position missed. */
    static int find(ByteBuf buf, int from, int end) {
        for (int i = from; i + LENGTH <= end; i++) {
            if (buf.getByte(i) == '{' && startsAt(buf, i, end)) {
                return i;
            }
        }
        return -1;
    }

    static long ts(ByteBuf buf, int at) {
        return parse(buf, at + TS_AT, TS_DIGITS);
    }

    static long seq(ByteBuf buf, int at) {
        return parse(buf, at + SEQ_AT, SEQ_DIGITS);
    }

    private static long parse(ByteBuf buf, int at, int count) {
        long value = 0;
        for (int i = at; i < at + count; i++) {
            value = value * 10 + (buf.getByte(i) - '0');
        }
        return value;
    }
}
