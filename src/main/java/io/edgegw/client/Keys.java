package io.edgegw.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/** HMAC keys from configured secrets: the SHA-256 of any string, so short secrets still make a 256-bit key. */
final class Keys {

    private Keys() {
    }

    static SecretKey hmacKey(String secret) {
        return hmacKey(secret.getBytes(StandardCharsets.UTF_8));
    }

    static SecretKey hmacKey(byte[] secret) {
        try {
            return new SecretKeySpec(MessageDigest.getInstance("SHA-256").digest(secret), "HmacSHA256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
