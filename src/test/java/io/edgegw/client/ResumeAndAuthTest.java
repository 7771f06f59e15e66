package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegw.demo.ReferenceCluster;
import io.edgegw.demo.ReferenceNode;
import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.edgegw.testkit.Scrape;
import io.edgegw.testkit.TcpProxy;
import io.edgegw.testkit.TestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@TestProfile(ResumeAndAuthTest.AuthAndResume.class)
@WithTestResource(ReferenceClusterResource.class)
class ResumeAndAuthTest {

    public static class AuthAndResume implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gateway.session.secret", "resume-secret", "gateway.auth.enabled", "true",
                    "gateway.auth.secret", AUTH_SECRET, "gateway.session.single-per-user", "true",
                    "gateway.session.resume-ttl", "20s");
        }
    }

    /** What the app's backend signs its browsers' tokens with: at least 32 bytes (RFC 7518). */
    static final String AUTH_SECRET = "the-app-backends-hs256-secret-of-32-bytes-or-more";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    /** The resume tokens' key: the SHA-256 of gateway.session.secret (only the gateway makes those). */
    private static SecretKeySpec key(String secret) throws Exception {
        return new SecretKeySpec(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)),
                "HmacSHA256");
    }

    /** A browser token's key: the shared secret's bytes as they are, as any JWT library uses a shared secret. */
    private static SecretKeySpec authKey(String secret) {
        return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    private static String userToken(String user, long expiresInSeconds) throws Exception {
        return Jwt.subject(user).expiresIn(expiresInSeconds).jws().algorithm(SignatureAlgorithm.HS256)
                .sign(authKey(AUTH_SECRET));
    }

    /** An HS256 token made by hand, as PyJWT or jsonwebtoken make one from a shared secret. */
    private static String handMadeToken(String user, long expiresAtSeconds, String secret) throws Exception {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = base64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + "." + base64.encodeToString(("{\"sub\":\"" + user + "\",\"exp\":" + expiresAtSeconds + "}")
                        .getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return signingInput + "." + base64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.UTF_8)));
    }

    private TestClient connect(String query) {
        TestClient client = TestClient.connect(GatewayUrls.ws() + "?" + query);
        closing.add(client);
        return client;
    }

    private static ReferenceCluster cluster() {
        return ReferenceClusterResource.cluster();
    }

    @Test
    void aMissingOrInvalidTokenIsClosedWith1008AndAnExpiredOneWith4003() throws Exception {
        TestClient none = connect("x=1");
        assertThat(none.awaitClose(WAIT)).isEqualTo(1008);
        assertThat(none.closeReason()).contains("missing token");
        TestClient forged = connect("token=" + Jwt.subject("mallory").expiresIn(60).jws()
                .algorithm(SignatureAlgorithm.HS256).sign(authKey("not-the-secret-but-as-long-as-the-real-one")));
        assertThat(forged.awaitClose(WAIT)).isEqualTo(1008);
        TestClient expired = connect("token=" + Jwt.subject("alice").expiresAt(System.currentTimeMillis() / 1000 - 60)
                .jws().algorithm(SignatureAlgorithm.HS256).sign(authKey(AUTH_SECRET)));
        assertThat(expired.awaitClose(WAIT)).isEqualTo(4003);
        assertThat(none.frames()).isEmpty();
        assertThat(expired.frames()).isEmpty();
    }

    @Test
    void aTokenSignedWithTheSharedSecretAsItIsIsAcceptedAndOneSignedWithItsHashIsNot() throws Exception {
        long inAMinute = System.currentTimeMillis() / 1000 + 60;
        TestClient plain = connect("token=" + handMadeToken("henry", inAMinute, AUTH_SECRET));
        assertThat(plain.welcome().getString("type")).isEqualTo("welcome");
        // what the gateway verified with before: the secret's SHA-256, which no token issuer uses
        TestClient hashed = connect("token=" + Jwt.subject("ivan").expiresIn(60).jws()
                .algorithm(SignatureAlgorithm.HS256).sign(key(AUTH_SECRET)));
        assertThat(hashed.awaitClose(WAIT)).isEqualTo(1008);
        assertThat(hashed.closeReason()).contains("invalid token");
    }

    @Test
    void aSessionEndsWith4003WhenItsTokenExpires() throws Exception {
        TestClient client = connect("token=" + userToken("shortlived", 2));
        client.welcome();
        assertThat(client.awaitClose(Duration.ofSeconds(10))).isEqualTo(4003);
    }

    @Test
    void theUserIsSentUpstreamInOpen() throws Exception {
        TestClient client = connect("token=" + userToken("carol", 60));
        String session = client.welcome().getString("session");
        await().atMost(WAIT).until(() -> cluster().nodes().stream().flatMap(n -> n.received("open").stream())
                .anyMatch(open -> session.equals(open.getString("session")) && "carol".equals(open.getString("user"))));
    }

    @Test
    void aTopicsClaimBoundsWhatTheUserMaySubscribeTo() throws Exception {
        String token = Jwt.subject("gina").claim("topics", List.of("allowed/**", "public/news")).expiresIn(60).jws()
                .algorithm(SignatureAlgorithm.HS256).sign(authKey(AUTH_SECRET));
        TestClient client = connect("token=" + token);
        client.welcome();
        client.send("{\"type\":\"subscribe\",\"id\":\"ok\",\"topics\":[\"allowed/x\",\"allowed/*/y\",\"public/news\"]}");
        assertThat(client.awaitReply("ok", WAIT).getString("type")).isEqualTo("subscribed");
        for (String topic : List.of("secret/x", "public/*", "**", "allowed")) {
            client.send("{\"type\":\"subscribe\",\"id\":\"" + topic + "\",\"topics\":[\"allowed/z\",\"" + topic + "\"]}");
            JsonObject reply = client.awaitReply(topic, WAIT);
            assertThat(reply.getString("code")).as(topic).isEqualTo("not_allowed");
        }
    }

    @Test
    void aNewerConnectionOfTheSameUserClosesTheOlderWith4001() throws Exception {
        TestClient older = connect("token=" + userToken("alice", 60));
        older.welcome();
        TestClient bob = connect("token=" + userToken("bob", 60));
        bob.welcome();
        TestClient newer = connect("token=" + userToken("alice", 60));
        newer.welcome();
        assertThat(older.awaitClose(WAIT)).isEqualTo(4001);
        newer.send("{\"type\":\"ping\"}");
        newer.await("pong", WAIT);
        bob.send("{\"type\":\"ping\"}");
        bob.await("pong", WAIT);
        assertThat(bob.isClosed()).isFalse();
    }

    @Test
    void aResumeAfterADroppedLinkKeepsTheSessionAndMissesNothing() throws Exception {
        String token = userToken("dave", 300);
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient first = TestClient.connectThrough(proxy, GatewayUrls.ws() + "?token=" + token);
            closing.add(first);
            JsonObject welcome = first.welcome();
            String session = welcome.getString("session");
            String resume = welcome.getString("resume");
            assertThat(resume).isNotBlank();
            first.sendJson(new JsonObject().put("type", "subscribe").put("id", "1").put("topics", List.of("res/t")),
                    new JsonObject().put("type", "ignore").put("id", "2").put("topics", List.of("res/ignored")));
            first.awaitReply("2", WAIT);
            await().atMost(WAIT).until(() -> cluster().nodes().stream().flatMap(n -> n.received("sub").stream())
                    .anyMatch(sub -> "res/t".equals(sub.getString("topic"))));
            for (int i = 1; i <= 3; i++) {
                cluster().publish("res/t", "{\"n\":" + i + "}");
            }
            first.awaitCount("message", 3, WAIT);

            double live = Scrape.value("gateway_sessions", "");
            first.drop(); // the link dies without a close frame
            // published once the gateway has seen the link go (a link it still thinks alive swallows what is written
            // to it: that half-open case is afterAResumeTheBrowsersOwnPositionWinsOverWhatTheGatewayWrote's)
            await().atMost(WAIT).until(() -> Scrape.value("gateway_sessions", "") < live);
            for (int i = 4; i <= 6; i++) {
                cluster().publish("res/t", "{\"n\":" + i + "}");
            }
            boolean directed = false;
            for (ReferenceNode node : cluster().nodes()) {
                directed |= node.direct(session, "while.away", "{\"held\":true}");
            }
            assertThat(directed).isTrue();

            TestClient second = connect("token=" + token + "&resume=" + resume);
            JsonObject again = second.welcome();
            assertThat(again.getString("session")).isEqualTo(session);
            assertThat(again.getJsonObject("restored").getJsonArray("subscriptions").getList()).containsExactly("res/t");
            assertThat(again.getJsonObject("restored").getJsonArray("ignores").getList())
                    .containsExactly("res/ignored");
            second.awaitCount("message", 3, WAIT);
            cluster().publish("res/t", "{\"n\":7}");
            second.awaitCount("message", 4, WAIT);
            List<Integer> all = new ArrayList<>();
            first.frames("message").forEach(m -> all.add(m.getJsonObject("data").getInteger("n")));
            second.frames("message").forEach(m -> all.add(m.getJsonObject("data").getInteger("n")));
            assertThat(all).containsExactly(1, 2, 3, 4, 5, 6, 7);
            assertThat(second.await("direct", WAIT).getString("event")).isEqualTo("while.away");
            // the cluster never saw the session end
            assertThat(cluster().nodes().stream().flatMap(n -> n.received("close").stream())
                    .anyMatch(c -> session.equals(c.getString("session")))).isFalse();
        }
    }

    @Test
    void aResumeMissesNothingOfATopicThatHadNoMessageBeforeTheLinkDropped() throws Exception {
        String token = userToken("erin", 300);
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient first = TestClient.connectThrough(proxy, GatewayUrls.ws() + "?token=" + token);
            closing.add(first);
            String resume = first.welcome().getString("resume");
            cluster().publish("res/quiet", "{\"n\":0}"); // history from before the browser came: not for it
            first.sendJson(new JsonObject().put("type", "subscribe").put("id", "1")
                    .put("topics", List.of("res/quiet")));
            first.awaitReply("1", WAIT);
            await().atMost(WAIT).until(() -> cluster().nodes().stream().flatMap(n -> n.received("sub").stream())
                    .anyMatch(sub -> "res/quiet".equals(sub.getString("topic"))));
            // a round trip through a node and back to the session's loop: the node's answer to the sub (the head the
            // session stands at) reached the gateway before this ack, and the session's loop takes them in order
            first.sendJson(new JsonObject().put("type", "send").put("id", "s1").put("event", "sync")
                    .put("data", new JsonObject()));
            assertThat(first.awaitReply("s1", WAIT).getString("type")).isEqualTo("ack");

            double live = Scrape.value("gateway_sessions", "");
            first.drop(); // no message of res/quiet has reached this browser yet
            await().atMost(WAIT).until(() -> Scrape.value("gateway_sessions", "") < live);
            for (int i = 1; i <= 3; i++) {
                cluster().publish("res/quiet", "{\"n\":" + i + "}");
            }

            TestClient second = connect("token=" + token + "&resume=" + resume);
            assertThat(second.welcome().getJsonObject("restored").getJsonArray("subscriptions").getList())
                    .containsExactly("res/quiet");
            second.awaitCount("message", 3, WAIT);
            cluster().publish("res/quiet", "{\"n\":4}");
            second.awaitCount("message", 4, WAIT);
            assertThat(second.frames("message").stream().map(m -> m.getJsonObject("data").getInteger("n")))
                    .containsExactly(1, 2, 3, 4);
            assertThat(first.frames("message")).isEmpty();
        }
    }

    @Test
    void afterAResumeTheBrowsersOwnPositionWinsOverWhatTheGatewayWrote() throws Exception {
        String token = userToken("hank", 300);
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", GatewayUrls.httpPort())) {
            TestClient first = TestClient.connectThrough(proxy, GatewayUrls.ws() + "?token=" + token);
            closing.add(first);
            String resume = first.welcome().getString("resume");
            first.sendJson(new JsonObject().put("type", "subscribe").put("id", "1").put("topics", List.of("own/t")));
            first.awaitReply("1", WAIT);
            await().atMost(WAIT).until(() -> cluster().nodes().stream().flatMap(n -> n.received("sub").stream())
                    .anyMatch(sub -> "own/t".equals(sub.getString("topic"))));
            for (int i = 1; i <= 3; i++) {
                cluster().publish("own/t", "{\"n\":" + i + "}");
            }
            first.awaitCount("message", 3, WAIT);
            JsonObject firstMessage = first.frames("message").get(0);
            first.drop();
            cluster().publish("own/t", "{\"n\":4}");

            // as if the dead link had swallowed messages 2 and 3: the browser resumes from what it really got
            String since = new JsonObject().put("own/t", new JsonObject().put("epoch", firstMessage.getString("epoch"))
                    .put("offset", firstMessage.getLong("offset"))).encode();
            TestClient second = connect("token=" + token + "&resume=" + resume + "&since="
                    + java.net.URLEncoder.encode(since, java.nio.charset.StandardCharsets.UTF_8));
            second.welcome();
            second.awaitCount("message", 3, WAIT);
            cluster().publish("own/t", "{\"n\":5}");
            second.awaitCount("message", 4, WAIT);
            assertThat(second.frames("message")).extracting(m -> m.getJsonObject("data").getInteger("n"))
                    .containsExactly(2, 3, 4, 5);
        }
    }

    @Test
    void aForgedOrExpiredResumeTokenStartsAFreshSession() throws Exception {
        String token = userToken("erin", 300);
        TestClient first = connect("token=" + token);
        JsonObject welcome = first.welcome();
        String session = welcome.getString("session");
        String resume = welcome.getString("resume");
        first.close();

        String tampered = resume.substring(0, resume.length() - 4) + (resume.endsWith("AAAA") ? "BBBB" : "AAAA");
        JsonObject forged = connect("token=" + token + "&resume=" + tampered).welcome();
        assertThat(forged.getString("session")).isNotEqualTo(session);
        assertThat(forged.getValue("restored")).isNull();

        String expired = Jwt.subject(session).audience("gateway-resume").claim("usr", "erin")
                .expiresAt(System.currentTimeMillis() / 1000 - 10).jws().algorithm(SignatureAlgorithm.HS256)
                .sign(key("resume-secret"));
        JsonObject stale = connect("token=" + token + "&resume=" + expired).welcome();
        assertThat(stale.getString("session")).isNotEqualTo(session);
        assertThat(stale.getValue("restored")).isNull();

        String otherUsers = Jwt.subject(session).audience("gateway-resume").claim("usr", "mallory").expiresIn(60)
                .jws().algorithm(SignatureAlgorithm.HS256).sign(key("resume-secret"));
        assertThat(connect("token=" + token + "&resume=" + otherUsers).welcome().getString("session"))
                .isNotEqualTo(session);
    }

    @Test
    void aValidTokenForASessionThisGatewayNoLongerHoldsKeepsOnlyTheId() throws Exception {
        String token = userToken("frank", 300);
        String elsewhere = "s-from-another-replica";
        String resume = Jwt.subject(elsewhere).audience("gateway-resume").claim("usr", "frank").expiresIn(60).jws()
                .algorithm(SignatureAlgorithm.HS256).sign(key("resume-secret"));
        JsonObject welcome = connect("token=" + token + "&resume=" + resume).welcome();
        assertThat(welcome.getString("session")).isEqualTo(elsewhere);
        assertThat(welcome.getJsonObject("restored").getJsonArray("subscriptions").getList()).isEmpty();
    }
}
