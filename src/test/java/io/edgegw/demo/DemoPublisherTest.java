package io.edgegw.demo;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.edgegw.demo.TestGateway.await;
import static io.edgegw.demo.TestGateway.sub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoPublisherTest {

    @Test
    void publishesPriceTicksWithBidBelowAsk() {
        Vertx vertx = Vertx.vertx();
        try (ReferenceCluster cluster = ReferenceCluster.start(vertx, 1, 10)) {
            DemoPublisher publisher = new DemoPublisher(vertx, cluster);
            TestGateway gateway = TestGateway.welcomed(vertx, cluster.node(0));
            gateway.subscribe(sub("prices/*"));

            publisher.start();
            JsonObject tick = gateway.next();
            publisher.stop();

            assertTrue(tick.getString("topic").startsWith("prices/"), tick::encode);
            JsonObject data = tick.getJsonObject("data");
            assertTrue(data.getDouble("bid") < data.getDouble("ask"), data::encode);
            assertTrue(data.getLong("ts") > 0);
            assertEquals(1, tick.getLong("offset"));
        } finally {
            await(vertx.close());
        }
    }
}
