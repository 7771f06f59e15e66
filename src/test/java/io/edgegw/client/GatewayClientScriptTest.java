package io.edgegw.client;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The unit tests of {@code /client/gateway-client.js} ({@code src/test/js/unit}): its state machine, backoff,
 * close-code handling, resubscription, send queue and dedupe against a scripted socket and a manual clock, in Node.
 */
class GatewayClientScriptTest {

    @Test
    void javascriptClientPassesItsUnitTests() throws Exception {
        NodeTests.requireTooling(false);
        NodeTests.run("client-unit", Duration.ofSeconds(60), Map.of(), "unit/gateway-client.test.mjs")
                .assertPassed(125);
    }
}
