package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThrottledLogTest {
    @Test
    void theFirstOccurrenceIsLoggedThenAtMostOnePerIntervalWithHowManyWereLeftOut() {
        ThrottledLog log = new ThrottledLog(60_000);
        assertThat(log.occurred(1_000)).isZero();
        for (int i = 0; i < 1_000; i++) {
            assertThat(log.occurred(1_001 + i)).isEqualTo(-1);
        }
        assertThat(log.occurred(60_999)).isEqualTo(-1);
        assertThat(log.occurred(61_000)).isEqualTo(1_001);
        assertThat(log.occurred(61_001)).isEqualTo(-1);
        assertThat(log.occurred(200_000)).isEqualTo(1);
        assertThat(log.occurred(300_000)).isZero();
        assertThat(ThrottledLog.andMore(0)).isEmpty();
        assertThat(ThrottledLog.andMore(1_001))
                .isEqualTo(" (and 1001 more since the last such line)");
    }
}
