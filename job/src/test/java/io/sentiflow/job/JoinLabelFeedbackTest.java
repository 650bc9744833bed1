package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.schemas.ReviewLabel;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class JoinLabelFeedbackTest {
    private static final long TTL = 1000;

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, ScoredReview, ReviewLabel, LabelledPrediction>
            harness() throws Exception {
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<
                        String, ScoredReview, ReviewLabel, LabelledPrediction>(
                        new KeyedCoProcessOperator<>(new JoinLabelFeedback(TTL)),
                        r -> r.reviewId,
                        ReviewLabel::reviewId,
                        Types.STRING);
        harness.setProcessingTime(0);
        harness.open();
        return harness;
    }

    private static StreamRecord<ScoredReview> scored(String id, double score) {
        ScoredReview review = new ScoredReview();
        review.reviewId = id;
        review.score = score;
        review.modelVersion = "m@1";
        return new StreamRecord<>(review);
    }

    @Test
    void aLabelShouldMeetThePredictionWhicheverComesFirstAndLeaveNothingBehind() throws Exception {
        try (var harness = harness()) {
            harness.processElement1(scored("a", 0.9));
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(harness.numKeyedStateEntries()).isPositive();
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
    void stateShouldBeClearedWhenTheOtherSideDoesNotComeWithinTheTtl() throws Exception {
        try (var harness = harness()) {
            harness.processElement1(scored("never-labelled", 0.7));
            harness.processElement2(new StreamRecord<>(ReviewLabel.of("never-scored", "positive")));
            assertThat(harness.numKeyedStateEntries()).isPositive();
            harness.setProcessingTime(TTL - 1);
            assertThat(harness.numKeyedStateEntries()).isPositive();
            harness.setProcessingTime(TTL);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
            harness.processElement1(scored("never-scored", 0.7));
            assertThat(harness.extractOutputValues()).as("the expired label is gone").isEmpty();
        }
    }
}
