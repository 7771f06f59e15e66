package io.edgegw.upstream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import io.edgegw.testkit.ProxiedClusterResource;

/**
 * The lifecycle every end-to-end upstream test shares: each test starts with every fault healed and every upstream
 * connection up, and ends with its faults healed and its browsers closed. Subclasses name their cluster with
 * {@code @WithTestResource}.
 */
abstract class ProxiedGatewayTest {

    @Inject
    UpstreamPool pool;

    ProxiedGateway gateway;

    @BeforeEach
    void healed() {
        gateway = new ProxiedGateway(pool);
        gateway.reset();
    }

    @AfterEach
    void closeBrowsers() {
        ProxiedClusterResource.heal();
        gateway.close();
    }
}
