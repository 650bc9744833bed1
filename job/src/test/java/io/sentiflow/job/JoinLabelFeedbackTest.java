package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.schemas.ReviewLabel;
import java.util.stream.IntStream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class JoinLabelFeedbackTest {
    private static final long TTL = 1000;

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, Prediction, ReviewLabel, LabelledPrediction>
            harness(double fraction) throws Exception {
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<
                        String, Prediction, ReviewLabel, LabelledPrediction>(
                        new KeyedCoProcessOperator<>(
                                new JoinLabelFeedback(TTL, new LabelJoin(fraction))),
                        p -> p.reviewId,
                        ReviewLabel::reviewId,
                        Types.STRING);
        harness.setProcessingTime(0);
        harness.setStateTtlProcessingTime(0);
        harness.open();
        return harness;
    }

    private static StreamRecord<Prediction> scored(String id, double score) {
        return new StreamRecord<>(new Prediction(id, "m@1", score >= 0.5));
    }

    @Test
    void aLabelShouldMeetThePredictionWhicheverComesFirstAndLeaveNothingBehind() throws Exception {
        try (var harness = harness(1.0)) {
            harness.processElement1(scored("a", 0.9));
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(harness.numKeyedStateEntries()).isPositive();
            assertThat(harness.numProcessingTimeTimers()).as("state TTL, no timers").isZero();
            harness.processElement2(new StreamRecord<>(ReviewLabel.of("a", "negative")));
            harness.processElement2(new StreamRecord<>(ReviewLabel.of("b", "positive")));
            harness.processElement1(scored("b", 0.2));
            assertThat(harness.extractOutputValues())
                    .extracting(
                            p ->
                                    p.modelVersion
                                            + ":"
                                            + p.predictedPositive
                                            + "/"
                                            + p.actualPositive)
                    .containsExactly("m@1:true/false", "m@1:false/true");
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void whatWaitsLongerThanTheTtlShouldNeverJoinAndBeCleanedUp() throws Exception {
        try (var harness = harness(1.0)) {
            harness.processElement1(scored("never-labelled", 0.7));
            harness.processElement2(new StreamRecord<>(ReviewLabel.of("never-scored", "positive")));
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
            harness.setStateTtlProcessingTime(TTL - 1);
            harness.processElement1(scored("never-scored", 0.7));
            assertThat(harness.extractOutputValues()).as("still within the TTL").hasSize(1);

            harness.processElement2(new StreamRecord<>(ReviewLabel.of("late-scored", "positive")));
            harness.setStateTtlProcessingTime(2 * TTL);
            harness.processElement1(scored("late-scored", 0.7));
            harness.processElement2(
                    new StreamRecord<>(ReviewLabel.of("never-labelled", "positive")));
            assertThat(harness.extractOutputValues()).as("the expired sides are gone").hasSize(1);
            // Expired entries are cleaned up as records pass, not kept until read.
            for (int i = 0; i < 5; i++) {
                harness.processElement2(new StreamRecord<>(ReviewLabel.of("x" + i, "positive")));
            }
            harness.setStateTtlProcessingTime(4 * TTL);
            for (int i = 0; i < 20; i++) {
                harness.processElement1(scored("y" + i, 0.1));
            }
            assertThat(harness.numKeyedStateEntries())
                    .as("only the last twenty predictions")
                    .isEqualTo(20);
        }
    }

    @Test
    void aLabelOutsideTheJoinedFractionShouldNotWaitForItsPrediction() throws Exception {
        try (var harness = harness(0.0)) {
            harness.processElement2(new StreamRecord<>(ReviewLabel.of("early", "positive")));
            assertThat(harness.numKeyedStateEntries()).isZero();
            // A prediction the graph sent (a sampled review) still meets its label.
            harness.processElement1(scored("sampled", 0.52));
            harness.processElement2(new StreamRecord<>(ReviewLabel.of("sampled", "negative")));
            assertThat(harness.extractOutputValues()).hasSize(1);
            assertThat(harness.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void theJoinedShareShouldBeTheConfiguredFractionPlusSampledReviews() {
        LabelJoin join = new LabelJoin(0.01);
        long waiting =
                IntStream.range(0, 100_000)
                        .filter(i -> join.waitsForLabel("review-" + i, null, false))
                        .count();
        assertThat(waiting).isBetween(850L, 1150L);
        assertThat(new LabelJoin(0).waitsForLabel("review-x", null, true)).isTrue();
        assertThat(new LabelJoin(1).waitsForLabel("review-y", "positive", true))
                .as("it has its label")
                .isFalse();
        assertThat(new LabelJoin(1).waitsForLabel("any", null, false)).isTrue();
    }
}
