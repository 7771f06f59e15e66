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
        assertThat(rate.refusedInARow()).isEqualTo(1);
        now.addAndGet(100_000_000L); // 100 ms at 10/s: one more token
        assertThat(rate.tryAcquire()).isTrue();
        assertThat(rate.refusedInARow()).isZero();
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
    void countsRefusalsInARow() {
        RequestRate rate = new RequestRate(1, 1, now::get);
        rate.tryAcquire();
        for (int i = 1; i <= 7; i++) {
            assertThat(rate.tryAcquire()).isFalse();
            assertThat(rate.refusedInARow()).isEqualTo(i);
        }
    }
}
