package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.Test;

/** The hand-written issuing path must produce exactly what jose4j accepts, and nothing forged may pass. */
class ResumeTokensTest {

    private static final long DAY = Duration.ofDays(1).toSeconds();
    private final ResumeTokens tokens = new ResumeTokens(Keys.hmacKey("secret"), DAY, Clock.systemUTC());

    @Test
    void anIssuedTokenVerifiesWithItsSessionAndUser() {
        assertThat(tokens.verify(tokens.issue("s-abc", "alice")))
                .contains(new ResumeTokens.Resume("s-abc", "alice"));
        assertThat(tokens.verify(tokens.issue("s-abc", null))).contains(new ResumeTokens.Resume("s-abc", null));
    }

    @Test
    void claimsThatNeedEscapingSurviveTheRoundTrip() {
        String user = "ünïcødé \"quoted\" \\ back\tslash \u0001 ☃ 🚀";
        assertThat(tokens.verify(tokens.issue("s-\"x\"", user))).contains(new ResumeTokens.Resume("s-\"x\"", user));
    }

    @Test
    void itIsTheTokenJose4jWouldIssue() throws Exception {
        Clock fixed = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);
        String issued = new ResumeTokens(Keys.hmacKey("secret"), DAY, fixed).issue("s-abc", "alice");

        JwtClaims claims = new JwtClaims();
        claims.setSubject("s-abc");
        claims.setAudience("gateway-resume");
        claims.setIssuedAt(NumericDate.fromSeconds(1_800_000_000L));
        claims.setExpirationTime(NumericDate.fromSeconds(1_800_000_000L + DAY));
        claims.setClaim("usr", "alice");
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKey(Keys.hmacKey("secret"));

        assertThat(issued).isEqualTo(jws.getCompactSerialization());
    }

    @Test
    void anExpiredTokenIsRefused() {
        Clock twoDaysAgo = Clock.offset(Clock.systemUTC(), Duration.ofDays(-2));
        String expired = new ResumeTokens(Keys.hmacKey("secret"), DAY, twoDaysAgo).issue("s-abc", null);
        assertThat(tokens.verify(expired)).isEmpty();
    }

    @Test
    void aTokenOfAnotherKeyOrWithAChangedClaimIsRefused() {
        String foreign = new ResumeTokens(Keys.hmacKey("other"), DAY, Clock.systemUTC()).issue("s-abc", null);
        assertThat(tokens.verify(foreign)).isEmpty();

        String[] parts = tokens.issue("s-abc", "alice").split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String changed = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(claims.replace("alice", "mallory").getBytes(StandardCharsets.UTF_8));
        assertThat(tokens.verify(parts[0] + "." + changed + "." + parts[2])).isEmpty();
    }

    @Test
    void garbageIsRefused() {
        assertThat(tokens.verify(null)).isEmpty();
        assertThat(tokens.verify("")).isEmpty();
        assertThat(tokens.verify("not.a.token")).isEmpty();
        assertThat(tokens.verify("eyJhbGciOiJub25lIn0.eyJzdWIiOiJzLWFiYyJ9.")).isEqualTo(Optional.empty()); // alg none
    }

    @Test
    void threadsIssueConcurrentlyWithoutSharingAMac() throws Exception {
        Thread[] threads = new Thread[4];
        AtomicInteger bad = new AtomicInteger();
        for (int t = 0; t < threads.length; t++) {
            int n = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 2_000; i++) {
                    String session = "s-" + n + "-" + i;
                    if (!tokens.verify(tokens.issue(session, null)).map(ResumeTokens.Resume::session)
                            .equals(Optional.of(session))) {
                        bad.incrementAndGet();
                    }
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(bad).hasValue(0);
    }
}
