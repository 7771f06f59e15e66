package io.edgegw.upstream;

import java.nio.charset.StandardCharsets;

import io.vertx.core.buffer.Buffer;

/**
 * The header of a binary topic message (PROTOCOL.md section 1), read without copying the payload:
 * {@code [0x01][u16 topic length][topic UTF-8][u8 epoch length][epoch UTF-8][u64 offset][payload]}, big-endian.
 */
public record BinaryTopicFrame(String topic, String epoch, long offset) {

    static final byte KIND_TOPIC_MESSAGE = 0x01;

    /** Reads the header; null when the frame is not a well-formed binary topic message. */
    public static BinaryTopicFrame parse(Buffer frame) {
        int length = frame.length();
        if (length < 1 + 2 || frame.getByte(0) != KIND_TOPIC_MESSAGE) {
            return null;
        }
        int topicLength = frame.getUnsignedShort(1);
        int epochAt = 3 + topicLength;
        if (length < epochAt + 1) {
            return null;
        }
        int epochLength = frame.getUnsignedByte(epochAt);
        int offsetAt = epochAt + 1 + epochLength;
        if (length < offsetAt + 8) {
            return null;
        }
        String topic = frame.getString(3, epochAt, StandardCharsets.UTF_8.name());
        String epoch = frame.getString(epochAt + 1, offsetAt, StandardCharsets.UTF_8.name());
        return new BinaryTopicFrame(topic, epoch, frame.getLong(offsetAt));
    }
}
