package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.schemas.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Operator-harness tests of the micro-batcher, with the real model. */
class ScoreBatchTest {
    private static final int MAX_SIZE = 3;
    private static final long MAX_DELAY_MS = 100;

    private static OneInputStreamOperatorTestHarness<TokenizedReview, ScoredReview> harness()
            throws Exception {
        ScoreBatch operator =
                new ScoreBatch(TestModel.directory().toString(), "cpu", MAX_SIZE, MAX_DELAY_MS);
        OneInputStreamOperatorTestHarness<TokenizedReview, ScoredReview> harness =
                new OneInputStreamOperatorTestHarness<>(operator);
        harness.setProcessingTime(0);
        harness.open();
        return harness;
    }

    private static StreamRecord<TokenizedReview> review(String id, int... ids) {
        KafkaRecord source =
                new KafkaRecord(
                        "reviews",
                        0,
                        id.hashCode() & 0xffff,
                        0L,
                        id.getBytes(StandardCharsets.UTF_8));
        return new StreamRecord<>(
                new TokenizedReview(id, ids.length == 0 ? new int[] {5, 6, 7} : ids, source));
    }

    private static List<String> scoredIds(
            OneInputStreamOperatorTestHarness<TokenizedReview, ScoredReview> harness) {
        return harness.extractOutputValues().stream().map(s -> s.reviewId).toList();
    }

    @Test
    void shouldScoreABatchAsSoonAsItIsFull() throws Exception {
        try (var harness = harness()) {
            harness.processElement(review("a"));
            harness.processElement(review("b"));
            assertThat(scoredIds(harness)).isEmpty();
            harness.processElement(review("c"));
            assertThat(scoredIds(harness)).containsExactly("a", "b", "c");
            assertThat(harness.getProcessingTimeService().getNumActiveTimers())
                    .as("the full batch's delay timer is cancelled")
                    .isZero();
            assertThat(harness.extractOutputValues())
                    .allSatisfy(s -> assertThat(s.score).isBetween(0.0, 1.0))
                    .allSatisfy(s -> assertThat(s.modelVersion).isEqualTo("textcnn-test@1"));
        }
    }

    @Test
    void shouldScoreAPartialBatchWhenItsOldestReviewHasWaitedMaxDelay() throws Exception {
        try (var harness = harness()) {
            harness.setProcessingTime(10);
            harness.processElement(review("a"));
            harness.setProcessingTime(50);
            harness.processElement(review("b"));
            harness.setProcessingTime(10 + MAX_DELAY_MS - 1);
            assertThat(scoredIds(harness)).isEmpty();
            harness.setProcessingTime(10 + MAX_DELAY_MS);
            assertThat(scoredIds(harness)).containsExactly("a", "b");
            assertThat(harness.getProcessingTimeService().getNumActiveTimers()).isZero();
        }
    }

    @Test
    void shouldFlushBeforeACheckpointSoNothingBufferedIsInTheSnapshot() throws Exception {
        try (var harness = harness()) {
            harness.processElement(review("a"));
            harness.prepareSnapshotPreBarrier(1);
            assertThat(scoredIds(harness)).containsExactly("a");
            assertThat(harness.getProcessingTimeService().getNumActiveTimers()).isZero();
            harness.snapshot(1, 1);
        }
    }

    @Test
    void shouldScoreWhatIsBufferedWhenTheInputEnds() throws Exception {
        try (var harness = harness()) {
            harness.processElement(review("a"));
            harness.endInput();
            assertThat(scoredIds(harness)).containsExactly("a");
        }
    }

    @Test
    void oneUnscorableReviewShouldNotSinkItsBatch() throws Exception {
        try (var harness = harness()) {
            harness.processElement(review("good-1"));
            harness.processElement(review("broken", 5, 1_000_000_000));
            harness.processElement(review("good-2"));
            assertThat(scoredIds(harness)).containsExactlyInAnyOrder("good-1", "good-2");
            List<DeadLetter> letters =
                    StreamSupport.stream(
                                    harness.getSideOutput(DeadLetters.TAG).spliterator(), false)
                            .map(StreamRecord::getValue)
                            .toList();
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).reason()).isEqualTo(DeadLetter.Reason.SCORING_ERROR);
            assertThat(new String(letters.get(0).originalBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("broken");
        }
    }

    @Test
    void reviewsOfDifferentLengthsShouldNotShareABatch() throws Exception {
        try (var harness = harness()) {
            harness.processElement(review("short-1"));
            harness.processElement(review("long-1", longIds(150)));
            harness.processElement(review("short-2"));
            harness.processElement(review("short-3"));
            assertThat(scoredIds(harness)).containsExactly("short-1", "short-2", "short-3");
            harness.processElement(review("long-2", longIds(140)));
            harness.processElement(review("long-3", longIds(129)));
            assertThat(scoredIds(harness))
                    .containsExactly("short-1", "short-2", "short-3", "long-1", "long-2", "long-3");
        }
    }

    @Test
    void aRestoredInstanceShouldLoseNothingThatWasBufferedAtTheSnapshot() throws Exception {
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState state;
        List<String> before;
        try (var harness = harness()) {
            harness.processElement(review("a"));
            harness.processElement(review("b"));
            harness.prepareSnapshotPreBarrier(7);
            state = harness.snapshot(7, 7);
            before = scoredIds(harness);
        }
        assertThat(before)
                .as("buffered reviews are scored before the barrier")
                .containsExactly("a", "b");
        ScoreBatch operator =
                new ScoreBatch(TestModel.directory().toString(), "cpu", MAX_SIZE, MAX_DELAY_MS);
        try (var restored =
                new OneInputStreamOperatorTestHarness<TokenizedReview, ScoredReview>(operator)) {
            restored.initializeState(state);
            restored.open();
            restored.processElement(review("c"));
            restored.endInput();
            assertThat(scoredIds(restored)).containsExactly("c");
        }
    }

    private static int[] longIds(int length) {
        int[] ids = new int[length];
        java.util.Arrays.fill(ids, 9);
        return ids;
    }
}
