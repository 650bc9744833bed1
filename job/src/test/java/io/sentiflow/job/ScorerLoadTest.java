package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScorerLoadTest {
    private static final long MS = 1_000_000L;

    /** Batches of {@code busyMs} every {@code everyMs} for {@code seconds}, from {@code start}. */
    private static long feed(ScorerLoad load, long start, long busyMs, long everyMs, int seconds) {
        long now = start;
        for (long t = 0; t < seconds * 1000L; t += everyMs) {
            now += everyMs * MS;
            load.record(busyMs * MS, now);
        }
        return now;
    }

    @Test
    void aScorerShouldBeLoadedAboveHalfItsTimeAndStayLoadedDownToAQuarter() {
        ScorerLoad load = new ScorerLoad(0);
        assertThat(load.loaded()).isFalse();
        // 20 % busy: light load.
        long now = feed(load, 0, 2, 10, 2);
        assertThat(load.loaded()).isFalse();
        // 40 %: between the bounds, still not loaded.
        now = feed(load, now, 4, 10, 2);
        assertThat(load.loaded()).isFalse();
        // 60 %: loaded.
        now = feed(load, now, 6, 10, 2);
        assertThat(load.loaded()).isTrue();
        // 30 %: between the bounds, still loaded (so a few waits that lower the load keep it).
        now = feed(load, now, 3, 10, 2);
        assertThat(load.loaded()).isTrue();
        // 20 %: no longer loaded.
        feed(load, now, 2, 10, 2);
        assertThat(load.loaded()).isFalse();
    }

    @Test
    void oneSlowFirstBatchShouldNotMakeAFreshScorerLoaded() {
        ScorerLoad load = new ScorerLoad(0);
        // Started at 0; its first batch (a cold engine) took 1.5 s and ended at 10 s.
        assertThat(load.record(1_500 * MS, 10_000 * MS)).isFalse();
    }

    @Test
    void aBatchAfterAnIdleSpellShouldCountTheIdleTime() {
        ScorerLoad load = new ScorerLoad(0);
        long now = feed(load, 0, 8, 10, 2);
        assertThat(load.loaded()).isTrue();
        // Ten idle seconds, then one batch: the window it closes was nearly all idle.
        assertThat(load.record(8 * MS, now + 10_000 * MS)).isFalse();
    }
}
