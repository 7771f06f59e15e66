package io.edgegw.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Host name verification of node certificates (RFC 6125 subset) and loading of the CA file. */
class NodeTrustTest {

    private static X509Certificate load(String file) throws Exception {
        try (InputStream pem = NodeTrustTest.class.getResourceAsStream("/tls/" + file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem);
        }
    }

    @Test
    void dnsNamesMatchExactlyOrByOneLeftMostWildcardLabel() {
        assertThat(NodeTrust.dnsMatches("nodes.svc.example.com", "NODES.svc.example.com.")).isTrue();
        assertThat(NodeTrust.dnsMatches("*.svc.example.com", "pod-1.svc.example.com")).isTrue();
        assertThat(NodeTrust.dnsMatches("*.svc.example.com", "svc.example.com")).isFalse();
        assertThat(NodeTrust.dnsMatches("*.svc.example.com", "a.b.svc.example.com")).isFalse();
        assertThat(NodeTrust.dnsMatches("*.com", "example.com")).isFalse();
        assertThat(NodeTrust.dnsMatches("p*.svc.example.com", "pod.svc.example.com")).isFalse();
        assertThat(NodeTrust.dnsMatches("*.*.example.com", "a.b.example.com")).isFalse();
        assertThat(NodeTrust.dnsMatches("other.example.com", "nodes.example.com")).isFalse();
        assertThat(NodeTrust.dnsMatches("", "")).isFalse();
    }

    @Test
    void theTestCertificateNamesLocalhostAndNoAddress() throws Exception {
        X509Certificate node = load("node-cert.pem");
        assertThat(NodeTrust.names(node, "localhost")).isTrue();
        assertThat(NodeTrust.names(node, "127.0.0.1")).isFalse(); // an IP needs an IP entry, never a DNS one
        assertThat(NodeTrust.names(node, "evil.localhost")).isFalse();
        assertThat(NodeTrust.isIpLiteral("10.0.0.1")).isTrue();
        assertThat(NodeTrust.isIpLiteral("::1")).isTrue();
        assertThat(NodeTrust.isIpLiteral("nodes.svc")).isFalse();
    }

    @Test
    void chainsAreValidatedAgainstTheCaFileOnly() throws Exception {
        X509Certificate node = load("node-cert.pem");
        String caFile = java.nio.file.Path.of(NodeTrustTest.class.getResource("/tls/ca.pem").toURI()).toString();
        NodeTrust.chainValidator(Optional.of(caFile)).checkServerTrusted(new X509Certificate[] {node}, "RSA");
        assertThatThrownBy(() -> NodeTrust.chainValidator(Optional.empty())
                .checkServerTrusted(new X509Certificate[] {node}, "RSA")).isInstanceOf(CertificateException.class);
        NodeRing ring = new NodeRing(List.of("wss://localhost:1/"));
        assertThat(ring.namesOf("localhost")).containsExactly("localhost");
        assertThat(ring.namesOf("10.9.9.9")).containsExactly("10.9.9.9"); // unknown: verified as itself
    }
}
