package io.edgegw.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;

import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;

import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;

import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.PatternSet;
import io.quarkus.runtime.Startup;
import io.smallrye.jwt.util.KeyUtils;

/**
 * Optional JWT verification of browsers ({@code gateway.auth.*}): the token's {@code sub} is the session's user,
 * its {@code exp} ends the session with 4003, and its topics claim (a list of patterns, held as a pattern list)
 * bounds what it may subscribe to. Thread-safe.
 * <p>
 * Created at start ({@link Startup}): a key it cannot use stops the gateway with the key named, instead of closing
 * every browser with 1011 from the first one on.
 */
@Startup
@ApplicationScoped
public class BrowserAuth {

    /** RFC 7518, 3.2: an HS256 key at least as long as the hash; jose4j refuses shorter ones on every token. */
    static final int MIN_SECRET_BYTES = 32;

    /** The outcome of checking a browser's token. */
    public record Outcome(String user, long expiresAtMs, PatternSet allowedTopics, CloseCode refusal, String reason) {

        static Outcome accepted(String user, long expiresAtMs, PatternSet allowedTopics) {
            return new Outcome(user, expiresAtMs, allowedTopics, null, null);
        }

        static Outcome refused(CloseCode code, String reason) {
            return new Outcome(null, 0, null, code, reason);
        }

        public boolean isAccepted() {
            return refusal == null;
        }
    }

    private final GatewayConfig.Auth config;
    private final JwtConsumer consumer;

    public BrowserAuth(GatewayConfig gateway) {
        this.config = gateway.auth();
        this.consumer = config.enabled() ? consumer(config) : null;
    }

    private static JwtConsumer consumer(GatewayConfig.Auth config) {
        Key key;
        String[] algorithms;
        if (config.publicKey().isPresent()) {
            try {
                key = KeyUtils.decodePublicKey(config.publicKey().get());
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new IllegalStateException("gateway.auth.public-key is not a PEM public key: " + e.getMessage(), e);
            }
            algorithms = new String[] { AlgorithmIdentifiers.RSA_USING_SHA256, AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256 };
        } else {
            key = hmacKey(config.secret().orElseThrow(() -> new IllegalStateException(
                    "gateway.auth.enabled=true needs gateway.auth.secret or gateway.auth.public-key")));
            algorithms = new String[] { AlgorithmIdentifiers.HMAC_SHA256 };
        }
        JwtConsumerBuilder builder = new JwtConsumerBuilder().setRequireExpirationTime().setRequireSubject()
                .setVerificationKey(key).setAllowedClockSkewInSeconds(5)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, algorithms);
        config.issuer().ifPresent(builder::setExpectedIssuer);
        if (config.audience().isPresent()) {
            builder.setExpectedAudience(config.audience().get());
        } else {
            builder.setSkipDefaultAudienceValidation();
        }
        return builder.build();
    }

    /**
     * The secret's UTF-8 bytes as they are: the key every JWT library signs HS256 with when given a shared secret
     * (unlike the resume tokens' key, which only the gateway uses).
     */
    static Key hmacKey(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_BYTES) {
            throw new IllegalStateException("gateway.auth.secret must be at least " + MIN_SECRET_BYTES
                    + " bytes (RFC 7518: an HS256 key as long as the hash), not " + bytes.length);
        }
        return new SecretKeySpec(bytes, "HmacSHA256");
    }

    public boolean enabled() {
        return consumer != null;
    }

    public String queryParam() {
        return config.queryParam();
    }

    public Outcome check(String token) {
        if (token == null || token.isBlank()) {
            return Outcome.refused(CloseCode.POLICY_VIOLATION, "missing token");
        }
        try {
            JwtClaims claims = consumer.processToClaims(token);
            NumericDate expiry = claims.getExpirationTime();
            PatternSet allowed = null; // null: any topic
            if (claims.hasClaim(config.topicsClaim())) {
                allowed = PatternSet.of(claims.getStringListClaimValue(config.topicsClaim()));
            }
            return Outcome.accepted(claims.getSubject(), expiry.getValueInMillis(), allowed);
        } catch (InvalidJwtException e) {
            if (e.hasErrorCode(ErrorCodes.EXPIRED)) {
                return Outcome.refused(CloseCode.TOKEN_EXPIRED, "token expired");
            }
            return Outcome.refused(CloseCode.POLICY_VIOLATION, "invalid token");
        } catch (MalformedClaimException | IllegalArgumentException e) {
            return Outcome.refused(CloseCode.POLICY_VIOLATION, "invalid token");
        }
    }
}
