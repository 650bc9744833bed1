package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HealthFiguresTest {
    @Test
    void partialsShouldMergeIntoWhatOneSubtaskWouldHaveCounted() {
        HealthFigures all = new HealthFigures();
        HealthFigures first = new HealthFigures();
        HealthFigures second = new HealthFigures();
        for (int i = 0; i < 200; i++) {
            float score = (i % 10) / 10f + 0.05f;
            long latency = 3 + i % 97;
            String label = i % 3 == 0 ? "positive" : null;
            all.addScored(score, latency, 20, i % 4, label);
            (i % 2 == 0 ? first : second).addScored(score, latency, 20, i % 4, label);
        }
        all.addBatch(64, 12, 1000L);
        all.failed = 3;
        first.failed = 3;
        first.addBatch(64, 12, 1000L);
        second.addShadow("v1", 10, 7, 1.5);
        all.addShadow("v1", 10, 7, 1.5);

        HealthFigures merged = new HealthFigures();
        merged.merge(HealthFigures.of(first.toPartial("v", 0, 0)));
        merged.merge(HealthFigures.of(second.toPartial("v", 0, 1)));
        assertThat(merged.scored).isEqualTo(all.scored).isEqualTo(200);
        assertThat(merged.failed).isEqualTo(all.failed).isEqualTo(3);
        assertThat(merged.positives).isEqualTo(all.positives);
        assertThat(merged.histogram).containsExactly(all.histogram);
        assertThat(merged.latency.getValueAtPercentile(99))
                .isEqualTo(all.latency.getValueAtPercentile(99));
        assertThat(merged.latency.getTotalCount()).isEqualTo(200);
        assertThat(merged.labelled()).isEqualTo(all.labelled());
        assertThat(merged.truePositives).isEqualTo(all.truePositives);
        assertThat(merged.unknownTokens).isEqualTo(all.unknownTokens);
        assertThat(merged.batches).isEqualTo(1);
        assertThat(merged.deviceMemoryBytes).isEqualTo(1000L);
        assertThat(merged.shadowComparedWith).containsExactly("v1");
        assertThat(merged.shadowAgreed).isEqualTo(7);
    }
}
