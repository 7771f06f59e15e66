package io.edgegw.upstream;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The configured node URLs, tried in order as a ring. Each connection keeps its own position; connections start
 * spread over different nodes. Immutable.
 */
public final class NodeRing {

    /** One node: where its WebSocket and its health probe are. */
    public record Node(String url, URI uri, boolean secure, String host, int port) {

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
            return new Node(url.trim(), uri, secure, uri.getHost(), port);
        }

        /** The node's name in logs and metric tags: host and port. */
        public String name() {
            return host + ":" + port;
        }

        /** Path and query of the WebSocket endpoint. */
        public String requestUri() {
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        }
    }

    private final List<Node> nodes;

    public NodeRing(List<String> urls) {
        List<Node> parsed = new ArrayList<>();
        for (String url : urls) {
            if (!url.isBlank()) {
                parsed.add(Node.parse(url));
            }
        }
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("gateway.upstream.nodes is empty");
        }
        this.nodes = List.copyOf(parsed);
    }

    public int size() {
        return nodes.size();
    }

    public Node get(int position) {
        return nodes.get(Math.floorMod(position, nodes.size()));
    }

    public List<Node> nodes() {
        return nodes;
    }
}
