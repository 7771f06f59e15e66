package io.edgegw.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Reads one client connection's incoming WebSocket frames as a byte stream, in place: complete messages are parsed
 * straight from the frame's bytes; only a message split across frames is copied, into a small carry buffer, and only
 * the bytes that complete it. Confined to the connection's event loop.
 */
abstract class StreamParser {

    static final byte NL = '\n';

    private ByteBuf carry;

    /**
     * One data frame (text, binary or continuation). {@code fin} is the frame's FIN bit: for a protocol whose
     * messages end where a frame ends (the gateway's), the end of a final frame ends the last message.
     */
    final void onFrame(ByteBuf frame, boolean fin, long now) {
        int i = frame.readerIndex();
        int end = frame.writerIndex();
        if (carry != null && carry.isReadable()) {
            i = completeCarry(frame, i, end, fin, now);
            if (i < 0) {
                return;
            }
        }
        int rest = parse(frame, i, end, fin, now);
        if (rest < end) {
            if (carry == null) {
                carry = Unpooled.buffer(256);
            }
            carry.writeBytes(frame, rest, end - rest);
        }
    }

    /** Moves bytes into the carry until its message is complete and parsed; the index to go on from, or -1. */
    private int completeCarry(ByteBuf frame, int i, int end, boolean fin, long now) {
        while (carry.isReadable()) {
            int need = missing(carry, carry.readerIndex(), carry.writerIndex());
            int take;
            if (need > 0) {
                take = Math.min(need, end - i);
            } else {
                int nl = frame.indexOf(i, end, NL);
                take = nl < 0 ? end - i : nl + 1 - i;
            }
            carry.writeBytes(frame, i, take);
            i += take;
            int consumed = parse(carry, carry.readerIndex(), carry.writerIndex(), fin && i == end, now);
            carry.readerIndex(consumed);
            if (i == end) {
                carry.discardReadBytes();
                return -1;
            }
        }
        carry.clear();
        return i;
    }

    /**
     * Parses the complete messages in [from, end) and returns where the first incomplete one starts ({@code end} when
     * none is left). {@code fin}: the bytes end at the end of a final frame.
     */
    abstract int parse(ByteBuf buf, int from, int end, boolean fin, long now);

    /**
     * How many more bytes the incomplete message at [from, end) needs, or 0 when it ends at the next newline
     * (or at the end of the final frame).
     */
    abstract int missing(ByteBuf buf, int from, int end);
}
