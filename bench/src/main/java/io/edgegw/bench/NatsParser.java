package io.edgegw.bench;

import io.netty.buffer.ByteBuf;

/**
 * The NATS client protocol as nats-server's WebSocket listener sends it: a byte stream cut into frames anywhere, of
 * lines ending in CRLF; {@code MSG <subject> <sid> <len>} is followed by {@code len} payload bytes and CRLF.
 */
final class NatsParser extends StreamParser {

    private final ClientLink link;

    NatsParser(ClientLink link) {
        this.link = link;
    }

    @Override
    int parse(ByteBuf buf, int from, int end, boolean fin, long now) {
        int i = from;
        while (i < end) {
            int nl = buf.indexOf(i, end, NL);
            if (nl < 0) {
                return i;
            }
            byte first = buf.getByte(i);
            if (first == 'M') {
                int length = lengthBefore(buf, nl);
                int payload = nl + 1;
                if (payload + length + 2 > end) {
                    return i;
                }
                if (length >= Payload.LENGTH && Payload.startsAt(buf, payload, payload + length)) {
                    link.onMessage(Payload.ts(buf, payload), Payload.seq(buf, payload), now);
                } else {
                    link.onOther(buf, i, payload + length);
                }
                i = payload + length + 2;
            } else {
                if (first == 'P' && buf.getByte(i + 1) == 'I') {        // PING
                    link.pong();
                } else if (first == 'P' && buf.getByte(i + 1) == 'O') { // PONG: answers the PING after SUB
                    link.onSubscribed();
                } else if (first == '-') {                              // -ERR
                    link.onError(buf, i, nl);
                }
                i = nl + 1;
            }
        }
        return end;
    }

    @Override
    int missing(ByteBuf buf, int from, int end) {
        int nl = buf.indexOf(from, end, NL);
        if (nl < 0 || buf.getByte(from) != 'M') {
            return 0;
        }
        int total = nl + 1 - from + lengthBefore(buf, nl) + 2;
        return Math.max(1, total - (end - from));
    }

    /** The decimal number that ends the line at {@code nl} ({@code ... <len>\r\n}). */
    private static int lengthBefore(ByteBuf buf, int nl) {
        int j = nl - 1;
        if (buf.getByte(j) == '\r') {
            j--;
        }
        int value = 0;
        int scale = 1;
        for (; j >= 0; j--) {
            byte b = buf.getByte(j);
            if (b < '0' || b > '9') {
                break;
            }
            value += (b - '0') * scale;
            scale *= 10;
        }
        return value;
    }
}
