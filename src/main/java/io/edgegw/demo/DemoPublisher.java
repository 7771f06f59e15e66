package io.edgegw.demo;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Feeds a {@link ReferenceCluster} with demo traffic: price ticks on {@code prices/EURUSD}, {@code prices/GBPUSD} and
 * {@code prices/USDJPY} four times a second (a random walk), a headline on {@code news/markets} or
 * {@code news/sports} every 1.5 s, and {@code clock/utc} every second. Timers run on a Vert.x event loop.
 */
public final class DemoPublisher {

    static final long PRICE_PERIOD_MS = 250;
    static final long NEWS_PERIOD_MS = 1_500;
    static final long CLOCK_PERIOD_MS = 1_000;

    private static final String[][] HEADLINES = {
            {"news/markets", "Markets open higher on rate hopes"},
            {"news/sports", "Late goal settles the derby"},
            {"news/markets", "Oil slips as inventories build"},
            {"news/sports", "Marathon record falls in Berlin"},
            {"news/markets", "Central bank holds rates steady"},
            {"news/sports", "Rookie takes the title in straight sets"},
    };

    private final Vertx vertx;
    private final ReferenceCluster cluster;
    private final Random random = new Random();
    private final List<PriceWalk> prices = List.of(
            new PriceWalk("prices/EURUSD", 1.0842, 0.0002, 5),
            new PriceWalk("prices/GBPUSD", 1.2705, 0.0002, 5),
            new PriceWalk("prices/USDJPY", 151.42, 0.02, 3));
    private final List<Long> timers = new ArrayList<>();
    private int headline;

    public DemoPublisher(Vertx vertx, ReferenceCluster cluster) {
        this.vertx = vertx;
        this.cluster = cluster;
    }

    public synchronized void start() {
        if (!timers.isEmpty()) {
            return;
        }
        timers.add(vertx.setPeriodic(PRICE_PERIOD_MS, id -> prices.forEach(this::tick)));
        timers.add(vertx.setPeriodic(NEWS_PERIOD_MS, id -> headline()));
        timers.add(vertx.setPeriodic(CLOCK_PERIOD_MS, id -> clock()));
    }

    public synchronized void stop() {
        timers.forEach(vertx::cancelTimer);
        timers.clear();
    }

    private void tick(PriceWalk price) {
        price.step(random);
        cluster.publish(price.topic, price.quote(System.currentTimeMillis()).encode());
    }

    private void headline() {
        String[] next = HEADLINES[headline++ % HEADLINES.length];
        JsonObject data = new JsonObject().put("headline", next[1]).put("ts", System.currentTimeMillis());
        cluster.publish(next[0], data.encode());
    }

    private void clock() {
        long now = System.currentTimeMillis();
        cluster.publish("clock/utc", new JsonObject().put("iso", Instant.ofEpochMilli(now).toString()).put("ts", now).encode());
    }

    /** One symbol's mid price, moved by a small random step per tick; touched by one timer at a time. */
    private static final class PriceWalk {
        private final String topic;
        private final double spread;
        private final double scale;
        private double mid;

        PriceWalk(String topic, double mid, double spread, int decimals) {
            this.topic = topic;
            this.mid = mid;
            this.spread = spread;
            this.scale = Math.pow(10, decimals);
        }

        void step(Random random) {
            mid += mid * 0.0001 * random.nextGaussian();
        }

        JsonObject quote(long ts) {
            return new JsonObject()
                    .put("bid", round(mid - spread / 2))
                    .put("ask", round(mid + spread / 2))
                    .put("ts", ts);
        }

        private double round(double price) {
            return Math.round(price * scale) / scale;
        }
    }
}
