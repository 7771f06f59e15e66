package io.edgegw.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RequestRateTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void allowsABurstThenTheSustainedRate() {
        RequestRate rate = new RequestRate(10, 5, now::get);
        for (int i = 0; i < 5; i++) {
            assertThat(rate.tryAcquire()).isTrue();
        }
        assertThat(rate.tryAcquire()).isFalse();
        assertThat(rate.strikes()).isEqualTo(1.0);
        now.addAndGet(100_000_000L); // 100 ms at 10/s: one more token, and the strike worked off
        assertThat(rate.tryAcquire()).isTrue();
        assertThat(rate.strikes()).isZero();
        assertThat(rate.tryAcquire()).isFalse();
    }

    @Test
    void neverStoresMoreThanTheBurst() {
        RequestRate rate = new RequestRate(10, 3, now::get);
        now.addAndGet(60_000_000_000L);
        int accepted = 0;
        while (rate.tryAcquire()) {
            accepted++;
        }
        assertThat(accepted).isEqualTo(3);
    }

    @Test
    void aFloodPilesUpStrikesEvenWhenTheRefillLetsTheOddRequestThrough() {
        RequestRate rate = new RequestRate(200, 10, now::get);
        for (int i = 0; i < 10; i++) {
            rate.tryAcquire();
        }
        int accepted = 0;
        for (int i = 0; i < 100; i++) {
            now.addAndGet(1_000_000L); // a request every 1 ms against 200/s: one in five gets a token
            if (rate.tryAcquire()) {
                accepted++;
            }
        }
        assertThat(accepted).isBetween(15, 25);
        assertThat(rate.strikes()).isGreaterThan(10); // more than the burst: abusive
    }

    @Test
    void aClientThatSlowsDownWorksItsStrikesOff() {
        RequestRate rate = new RequestRate(10, 5, now::get);
        for (int i = 0; i < 8; i++) {
            rate.tryAcquire();
        }
        assertThat(rate.strikes()).isEqualTo(3.0);
        now.addAndGet(1_000_000_000L);
        assertThat(rate.tryAcquire()).isTrue();
        assertThat(rate.strikes()).isZero();
    }
}
