package io.edgegw.upstream;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Decides whether a {@code wss://} node's certificate is acceptable: the chain must lead to a trusted CA (the JVM's
 * default truststore, or the PEM file of {@code gateway.upstream.tls.ca-file}), and the certificate must name the
 * host as configured in {@code gateway.upstream.nodes}.
 *
 * <p>Why not the JDK's own host name check: a name that resolves to several addresses (a headless Service) is one
 * node per address, and the gateway connects to each address itself. Vert.x 4.5's WebSocket client has no way to
 * connect to a chosen address while presenting another name (it ignores {@code RequestOptions.server}), so the TLS
 * peer is the address, and the name to verify is looked up in the {@link NodeRing}. The check follows RFC 6125:
 * DNS names of the subject alternative names, exact or with a wildcard as the whole left-most label ({@code *.svc.
 * example.com}, never {@code *.com}); IP addresses of the alternative names for an IP literal; never the subject's
 * CN. Used only with Vert.x's host verification off, which this class replaces.
 */
final class NodeTrust extends X509ExtendedTrustManager {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private final X509TrustManager chains;
    private final Function<String, Set<String>> namesOfPeer;

    /**
     * @param chains validates certificate chains (no host name check)
     * @param namesOfPeer the configured host names the TLS peer (an address or a name) may be known as
     */
    NodeTrust(X509TrustManager chains, Function<String, Set<String>> namesOfPeer) {
        this.chains = chains;
        this.namesOfPeer = namesOfPeer;
    }

    /** The JDK's chain validation over the default truststore, or over the CA certificates of a PEM file. */
    static X509TrustManager chainValidator(Optional<String> caFile) throws Exception {
        KeyStore store = null;
        if (caFile.isPresent()) {
            store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            try (InputStream pem = Files.newInputStream(Path.of(caFile.get()))) {
                int i = 0;
                for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
                    store.setCertificateEntry("ca-" + i++, ca);
                }
                if (i == 0) {
                    throw new IllegalArgumentException("gateway.upstream.tls.ca-file: no certificate in " + caFile.get());
                }
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new IllegalStateException("no X.509 trust manager in " + factory.getAlgorithm());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        chains.checkServerTrusted(chain, authType);
        String peer = engine == null ? null : engine.getPeerHost();
        if (peer == null) {
            throw new CertificateException("no peer host to verify the node's certificate against");
        }
        Set<String> names = namesOfPeer.apply(peer);
        for (String name : names) {
            if (names(chain[0], name)) {
                return;
            }
        }
        throw new CertificateException("the node's certificate does not name " + String.join(" or ", names));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("only SSLEngine connections are expected");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a node's certificate is checked with its peer host only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return chains.getAcceptedIssuers();
    }

    /** Whether the certificate's subject alternative names include {@code host} (RFC 6125, see the class). */
    static boolean names(X509Certificate certificate, String host) throws CertificateException {
        Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
        if (alternatives == null) {
            return false;
        }
        boolean ip = isIpLiteral(host);
        for (List<?> alternative : alternatives) {
            int type = (Integer) alternative.get(0);
            Object value = alternative.get(1);
            if (ip && type == SAN_IP && value instanceof String address && sameAddress(address, host)) {
                return true;
            }
            if (!ip && type == SAN_DNS && value instanceof String pattern && dnsMatches(pattern, host)) {
                return true;
            }
        }
        return false;
    }

    /** A DNS name against a certificate's DNS name: exact, or a wildcard standing for the whole left-most label. */
    static boolean dnsMatches(String pattern, String host) {
        String p = normalise(pattern);
        String h = normalise(host);
        if (p.isEmpty() || h.isEmpty()) {
            return false;
        }
        if (!p.startsWith("*.")) {
            return !p.contains("*") && p.equals(h);
        }
        String suffix = p.substring(1); // ".svc.example.com"
        if (suffix.contains("*") || suffix.indexOf('.', 1) < 0) {
            return false; // one wildcard only, and never directly above a top-level domain
        }
        return h.endsWith(suffix) && h.length() > suffix.length()
                && h.substring(0, h.length() - suffix.length()).indexOf('.') < 0;
    }

    private static String normalise(String name) {
        String lower = name.trim().toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    static boolean isIpLiteral(String host) {
        return IPV4.matcher(host).matches() || host.indexOf(':') >= 0;
    }

    private static boolean sameAddress(String a, String b) {
        if (!isIpLiteral(a) || !isIpLiteral(b)) {
            return false;
        }
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
