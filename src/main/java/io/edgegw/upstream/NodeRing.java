package io.edgegw.upstream;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.jboss.logging.Logger;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;

/**
 * The configured node URLs, tried in order as a ring, each expanded into one node per address its host resolves
 * to: a Kubernetes headless Service name counts as that many nodes (PROTOCOL.md section 2). Each connection keeps
 * its own position and asks for a {@link #refresh} each time it wraps round the list, so pods that came or went are
 * seen on the next pass. The addresses of a host are sorted, so positions stay put while the set does not change.
 *
 * <p>Threads: {@link #refresh} and {@link #get} are called on the upstream loop; the blocking lookups run on a
 * worker. The current expansion is an immutable list behind a volatile field, readable from anywhere.
 */
public final class NodeRing {

    private static final Logger LOG = Logger.getLogger(NodeRing.class);

    /** Looks up every address of a host name; blocking. */
    @FunctionalInterface
    public interface Resolver {
        List<String> resolve(String host) throws UnknownHostException;

        /** The JVM's resolver (the OS's, with the JVM's cache: {@code networkaddress.cache.ttl}). */
        Resolver SYSTEM = host -> Arrays.stream(InetAddress.getAllByName(host)).map(InetAddress::getHostAddress)
                .toList();
    }

    /**
     * One node: where its WebSocket and its health probe are. {@code address} is the resolved IP to connect to, or
     * null to let the connect resolve {@code host} itself (before the first resolution, or when it failed).
     */
    public record Node(String url, URI uri, boolean secure, String host, int port, String address) {

        static Node parse(String url) {
            URI uri = URI.create(url.trim());
            String scheme = uri.getScheme();
            if (!"ws".equals(scheme) && !"wss".equals(scheme)) {
                throw new IllegalArgumentException("gateway.upstream.nodes: not a ws:// or wss:// URL: " + url);
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("gateway.upstream.nodes: no host in " + url);
            }
            boolean secure = "wss".equals(scheme);
            int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
            String host = uri.getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1); // IPv6 literal
            }
            return new Node(url.trim(), uri, secure, host, port, null);
        }

        Node at(String resolved) {
            return new Node(url, uri, secure, host, port, resolved);
        }

        /** The configured host and port: the {@code node} tag of metrics (bounded by the configuration). */
        public String name() {
            return host + ":" + port;
        }

        /** For logs and the admin view: host and port, and the address when the host is a name. */
        public String label() {
            return address == null || address.equals(host) ? name() : name() + "@" + address;
        }

        /** Where to open the TCP connection: the resolved address, or null to resolve {@link #host()} then. */
        public SocketAddress server() {
            return address == null ? null : SocketAddress.inetSocketAddress(port, address);
        }

        /** The host to open the TCP connection to: the resolved address if there is one, else the name. */
        public String connectHost() {
            return address == null ? host : address;
        }

        /** The {@code Host} header: the configured host, and the port unless it is the scheme's default. */
        public String hostHeader() {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return port == (secure ? 443 : 80) ? h : h + ":" + port;
        }

        /** Path and query of the WebSocket endpoint. */
        public String requestUri() {
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        }
    }

    private final List<Node> configured;
    private final Resolver resolver;
    private volatile List<Node> nodes;
    private Future<Void> refreshing; // upstream loop only
    private volatile int refreshes;

    public NodeRing(List<String> urls) {
        this(urls, Resolver.SYSTEM);
    }

    public NodeRing(List<String> urls, Resolver resolver) {
        List<Node> parsed = new ArrayList<>();
        for (String url : urls) {
            if (!url.isBlank()) {
                parsed.add(Node.parse(url));
            }
        }
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("gateway.upstream.nodes is empty");
        }
        this.configured = List.copyOf(parsed);
        this.resolver = resolver;
        this.nodes = configured;
    }

    public int size() {
        return nodes.size();
    }

    public Node get(int position) {
        List<Node> current = nodes;
        return current.get(Math.floorMod(position, current.size()));
    }

    /** The current expansion, in ring order. */
    public List<Node> nodes() {
        return nodes;
    }

    /** The nodes as configured, one per URL, not expanded. */
    public List<Node> configured() {
        return configured;
    }

    /**
     * The configured host names a TLS peer may be known as: those whose expansion includes {@code peer} (an
     * address the gateway connected to), or {@code peer} itself when it is a configured host.
     */
    public Set<String> namesOf(String peer) {
        Set<String> names = new TreeSet<>();
        for (Node node : nodes) {
            if (peer.equals(node.address()) || peer.equalsIgnoreCase(node.host())) {
                names.add(node.host());
            }
        }
        if (names.isEmpty()) {
            names.add(peer);
        }
        return names;
    }

    /** How many resolutions completed: for tests and logs. */
    public int refreshes() {
        return refreshes;
    }

    /**
     * Resolves every configured host again, off the event loop, and swaps the expansion in when done. A refresh
     * already under way is joined, not repeated. A host that does not resolve keeps its previous nodes (or stays
     * unresolved), so a DNS hiccup never empties the ring. Call on the upstream loop.
     */
    public Future<Void> refresh(Vertx vertx) {
        if (refreshing != null) {
            return refreshing;
        }
        List<Node> previous = nodes;
        Promise<Void> done = Promise.promise();
        refreshing = done.future();
        // a plain handler runs back on the calling loop; the promise completes there, after the swap
        vertx.<List<Node>>executeBlocking(() -> expand(previous), false).onComplete(result -> {
            if (result.succeeded()) {
                swap(result.result());
            } else {
                LOG.warnf("gateway.upstream.nodes: resolution failed: %s", result.cause().toString());
            }
            refreshing = null;
            done.complete();
        });
        return done.future();
    }

    private void swap(List<Node> expanded) {
        if (!expanded.equals(nodes)) {
            LOG.infof("upstream nodes: %s", expanded.stream().map(Node::label).toList());
        }
        nodes = expanded;
        refreshes++;
    }

    /** One node per (configured URL, address), in configuration order, addresses sorted. Blocking. */
    List<Node> expand(List<Node> previous) {
        List<Node> expanded = new ArrayList<>();
        for (Node node : configured) {
            try {
                TreeSet<String> addresses = new TreeSet<>(resolver.resolve(node.host()));
                if (addresses.isEmpty()) {
                    throw new UnknownHostException(node.host() + ": no address");
                }
                addresses.forEach(address -> expanded.add(node.at(address)));
            } catch (UnknownHostException | RuntimeException e) {
                List<Node> kept = previous.stream().filter(old -> old.url().equals(node.url())).toList();
                LOG.warnf("gateway.upstream.nodes: cannot resolve %s (%s); keeping %s", node.host(), e.getMessage(),
                        kept.stream().map(Node::label).toList());
                expanded.addAll(kept.isEmpty() ? List.of(node) : kept);
            }
        }
        return List.copyOf(expanded);
    }
}
