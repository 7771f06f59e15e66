package io.edgegw.testkit;

import org.eclipse.microprofile.config.ConfigProvider;

/** Where the gateway under test listens. */
public final class GatewayUrls {

    private GatewayUrls() {
    }

    public static int httpPort() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.http.test-port", Integer.class).orElse(8081);
    }

    public static int managementPort() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class)
                .orElse(9001);
    }

    /** The browser endpoint. */
    public static String ws() {
        return "ws://127.0.0.1:" + httpPort() + "/ws";
    }

    public static String http(String path) {
        return "http://127.0.0.1:" + httpPort() + path;
    }

    public static String management(String path) {
        return "http://127.0.0.1:" + managementPort() + path;
    }
}
