package io.edgegw.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.SecretKey;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;

import io.edgegw.config.GatewayConfig;
import io.edgegw.fanout.Json;

/**
 * Resume tokens: JWTs signed with HMAC-SHA256 under {@code gateway.session.secret}, carrying the session id
 * ({@code sub}) and its user ({@code usr}). Any replica that shares the secret can verify one. Thread-safe.
 * <p>
 * Issuing is on every browser's connect path, so a token is written directly (a constant header, the claims as one
 * string, an HMAC from a per-thread {@link Mac}); verifying, only on a resume, goes through jose4j's full checks.
 */
@ApplicationScoped
public class ResumeTokens {

    private static final Logger LOG = Logger.getLogger(ResumeTokens.class);
    private static final String AUDIENCE = "gateway-resume";

    /** What a valid token proves: the session it was issued for, and that session's user (or null). */
    public record Resume(String session, String user) {
    }

    /** base64url of {@code {"alg":"HS256"}}, the header jose4j writes for an HMAC-SHA256 token. */
    private static final String HEADER = base64Url("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));

    private final SecretKey key;
    private final long lifetimeSeconds;
    private final Clock clock;
    private final JwtConsumer consumer;
    /** One per thread: a {@link Mac} is not thread-safe, and making one per token was most of the cost. */
    private final ThreadLocal<Mac> macs;

    @Inject
    public ResumeTokens(GatewayConfig config) {
        this(config.session().secret().filter(s -> !s.isBlank()).map(Keys::hmacKey).orElseGet(() -> {
            LOG.warn("gateway.session.secret is not set: resume tokens are signed with a random key of this "
                    + "process, so sessions cannot resume on another replica or after a restart");
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return Keys.hmacKey(random);
        }), config.session().resumeTokenLifetime().toSeconds(), Clock.systemUTC());
    }

    /** {@code clock} dates the tokens issued; {@link #verify} checks expiry against the system clock. */
    ResumeTokens(SecretKey key, long lifetimeSeconds, Clock clock) {
        this.key = key;
        this.lifetimeSeconds = lifetimeSeconds;
        this.clock = clock;
        this.consumer = new JwtConsumerBuilder().setRequireExpirationTime().setRequireSubject()
                .setExpectedAudience(AUDIENCE).setVerificationKey(key)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        AlgorithmIdentifiers.HMAC_SHA256)
                .build();
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** A token for {@code session}: a compact JWS (HS256) with {@code sub}, {@code aud}, {@code iat}, {@code exp}
     * and, for a signed-in browser, {@code usr}. */
    public String issue(String session, String user) {
        long now = clock.millis() / 1000;
        StringBuilder claims = new StringBuilder(160).append("{\"sub\":").append(Json.quote(session))
                .append(",\"aud\":\"").append(AUDIENCE).append("\",\"iat\":").append(now)
                .append(",\"exp\":").append(now + lifetimeSeconds);
        if (user != null) {
            claims.append(",\"usr\":").append(Json.quote(user));
        }
        String signed = HEADER + '.' + base64Url(claims.append('}').toString().getBytes(StandardCharsets.UTF_8));
        byte[] signature = macs.get().doFinal(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + '.' + base64Url(signature);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The session a token resumes; empty when it is forged, malformed or expired. */
    public Optional<Resume> verify(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        try {
            JwtClaims claims = consumer.processToClaims(token);
            return Optional.of(new Resume(claims.getSubject(), claims.getClaimValueAsString("usr")));
        } catch (InvalidJwtException | MalformedClaimException e) {
            return Optional.empty();
        }
    }
}
