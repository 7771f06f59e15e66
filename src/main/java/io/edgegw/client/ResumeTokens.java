package io.edgegw.client;

import java.security.SecureRandom;
import java.util.Optional;

import javax.crypto.SecretKey;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;

import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.JoseException;

import io.edgegw.config.GatewayConfig;

/**
 * Resume tokens: JWTs signed with HMAC-SHA256 under {@code gateway.session.secret}, carrying the session id
 * ({@code sub}) and its user ({@code usr}). Any replica that shares the secret can verify one. Thread-safe.
 */
@ApplicationScoped
public class ResumeTokens {

    private static final Logger LOG = Logger.getLogger(ResumeTokens.class);
    private static final String AUDIENCE = "gateway-resume";

    /** What a valid token proves: the session it was issued for, and that session's user (or null). */
    public record Resume(String session, String user) {
    }

    private final SecretKey key;
    private final long lifetimeSeconds;
    private final JwtConsumer consumer;

    public ResumeTokens(GatewayConfig config) {
        this.key = config.session().secret().filter(s -> !s.isBlank()).map(Keys::hmacKey).orElseGet(() -> {
            LOG.warn("gateway.session.secret is not set: resume tokens are signed with a random key of this "
                    + "process, so sessions cannot resume on another replica or after a restart");
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return Keys.hmacKey(random);
        });
        this.lifetimeSeconds = config.session().resumeTokenLifetime().toSeconds();
        this.consumer = new JwtConsumerBuilder().setRequireExpirationTime().setRequireSubject()
                .setExpectedAudience(AUDIENCE).setVerificationKey(key)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, AlgorithmIdentifiers.HMAC_SHA256)
                .build();
    }

    /**
     * A token for {@code session}. Built with jose4j directly: smallrye-jwt's builder looks its defaults up in the
     * configuration on every token, which made it the largest cost of opening a session.
     */
    public String issue(String session, String user) {
        JwtClaims claims = new JwtClaims();
        claims.setSubject(session);
        claims.setAudience(AUDIENCE);
        long now = System.currentTimeMillis() / 1000;
        claims.setIssuedAt(NumericDate.fromSeconds(now));
        claims.setExpirationTime(NumericDate.fromSeconds(now + lifetimeSeconds));
        if (user != null) {
            claims.setClaim("usr", user);
        }
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKey(key);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("cannot sign a resume token", e);
        }
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
