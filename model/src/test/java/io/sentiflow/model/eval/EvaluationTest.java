package io.sentiflow.model.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void metricsShouldMatchAWorkedExample() {
        float[] scores = {0.95f, 0.85f, 0.35f, 0.65f, 0.25f, 0.15f};
        boolean[] positive = {true, true, true, false, false, false};
        Evaluation e = Evaluation.of(scores, positive);
        assertThat(e.truePositives()).isEqualTo(2);
        assertThat(e.falseNegatives()).isEqualTo(1);
        assertThat(e.falsePositives()).isEqualTo(1);
        assertThat(e.trueNegatives()).isEqualTo(2);
        assertThat(e.accuracy()).isCloseTo(4 / 6.0, within(1e-9));
        assertThat(e.precision()).isCloseTo(2 / 3.0, within(1e-9));
        assertThat(e.recall()).isCloseTo(2 / 3.0, within(1e-9));
        assertThat(e.f1()).isCloseTo(2 / 3.0, within(1e-9));
        // positives outrank negatives in 8 of 9 pairs
        assertThat(e.rocAuc()).isCloseTo(8 / 9.0, within(1e-9));
        assertThat(e.scoreHistogram()).containsExactly(0, 1, 1, 1, 0, 0, 1, 0, 1, 1);
        // every bin holds one review: ECE = mean |score - label| =
        // (0.05+0.15+0.65+0.65+0.25+0.15)/6
        assertThat(e.expectedCalibrationError()).isCloseTo(1.9 / 6, within(1e-6));
    }

    @Test
    void aucShouldBeOneForAPerfectRankingZeroForAReversedOneAndHalfForTies() {
        boolean[] positive = {true, false, true, false};
        assertThat(RocCurve.of(new float[] {0.9f, 0.1f, 0.8f, 0.2f}, positive).auc())
                .isCloseTo(1.0, within(1e-9));
        assertThat(RocCurve.of(new float[] {0.1f, 0.9f, 0.2f, 0.8f}, positive).auc())
                .isCloseTo(0.0, within(1e-9));
        assertThat(RocCurve.of(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, positive).auc())
                .isCloseTo(0.5, within(1e-9));
    }
}
