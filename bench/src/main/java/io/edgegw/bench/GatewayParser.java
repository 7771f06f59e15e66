package io.edgegw.bench;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The gateway's client link (PROTOCOL.md section 1): each text frame carries JSON messages separated by {@code \n}.
 * A {@code message} line is recognised by its type, its payload read at the fixed place where the node put it (the
 * line's last {@link Payload#LENGTH} + 1 bytes: the gateway forwards the node's bytes unchanged); nothing is decoded.
 */
final class GatewayParser extends StreamParser {

    private static final byte[] TYPE = "{\"type\":\"".getBytes(StandardCharsets.US_ASCII);

    private final ClientLink link;

    GatewayParser(ClientLink link) {
        this.link = link;
    }

    @Override
    int parse(ByteBuf buf, int from, int end, boolean fin, long now) {
        int i = from;
        while (i < end) {
            int nl = buf.indexOf(i, end, NL);
            int lineEnd;
            if (nl >= 0) {
                lineEnd = nl;
            } else if (fin) {
                lineEnd = end;
            } else {
                return i;
            }
            if (lineEnd > i) {
                line(buf, i, lineEnd, now);
            }
            i = lineEnd + 1;
        }
        return end;
    }

    @Override
    int missing(ByteBuf buf, int from, int end) {
        return 0;
    }

    private void line(ByteBuf buf, int start, int end, long now) {
        int typeAt = start + TYPE.length;
        if (end - start < TYPE.length + 3 || !prefix(buf, start)) {
            link.onOther(buf, start, end);
            return;
        }
        byte first = buf.getByte(typeAt);
        if (first == 'm') {                                         // "message"
            int at = end - 1 - Payload.LENGTH;                      // ..."data":<payload>}
            if (!Payload.startsAt(buf, at, end)) {
                at = Payload.find(buf, typeAt, end);
            }
            if (at >= 0) {
                link.onMessage(Payload.ts(buf, at), Payload.seq(buf, at), now);
            } else {
                link.onOther(buf, start, end);
            }
        } else if (first == 's' && buf.getByte(typeAt + 1) == 'u') { // "subscribed"
            link.onSubscribed();
        } else if (first == 'g') {                                  // "gap"
            link.onGap();
        } else if (first == 'e') {                                  // "error"
            link.onError(buf, start, end);
        }
        // welcome, pong, direct, unsubscribed...: nothing to count
    }

    private static boolean prefix(ByteBuf buf, int start) {
        for (int i = 0; i < TYPE.length; i++) {
            if (buf.getByte(start + i) != TYPE[i]) {
                return false;
            }
        }
        return true;
    }
}
