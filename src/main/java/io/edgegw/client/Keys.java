package io.edgegw.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The resume tokens' HMAC key: the SHA-256 of the configured secret, so any secret makes a 256-bit key (only the
 * gateway reads these tokens; browser tokens use their secret as it is, see {@link BrowserAuth}).
 */
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
