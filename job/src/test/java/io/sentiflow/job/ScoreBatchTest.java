package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.schemas.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Operator-harness tests of the micro-batcher, with the real model. */
class ScoreBatchTest {
    private static final int MAX_SIZE = 3;
    private static final long MAX_DELAY_MS = 100;

    static TwoInputStreamOperatorTestHarness<TokenizedReview, KafkaRecord, ScoredReview> harness(
            ModelCatalog catalog, OperatorSubtaskState restoreFrom) throws Exception {
        ScoreBatch operator =
                new ScoreBatch(catalog, ScoreBatch.Settings.of("cpu", MAX_SIZE, MAX_DELAY_MS));
        var harness = new TwoInputStreamOperatorTestHarness<>(operator);
        harness.setProcessingTime(0);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    private static TwoInputStreamOperatorTestHarness<TokenizedReview, KafkaRecord, ScoredReview>
            harness() throws Exception {
        return harness(ModelCatalog.of(TestModel.directory()), null);
    }

    static StreamRecord<TokenizedReview> review(String id, String... tokens) {
        KafkaRecord source =
                new KafkaRecord(
                        "reviews",
                        0,
                        id.hashCode() & 0xffff,
                        0L,
                        id.getBytes(StandardCharsets.UTF_8));
        return new StreamRecord<>(
                new TokenizedReview(
                        id,
                        tokens.length == 0 ? new String[] {"a", "fine", "film"} : tokens,
                        source));
    }

    static List<String> scoredIds(
            TwoInputStreamOperatorTestHarness<TokenizedReview, KafkaRecord, ScoredReview> harness) {
        return harness.extractOutputValues().stream().map(s -> s.reviewId).toList();
    }

    @Test
    void shouldScoreABatchAsSoonAsItIsFull() throws Exception {
        try (var harness = harness()) {
            harness.processElement1(review("a"));
            harness.processElement1(review("b"));
            assertThat(scoredIds(harness)).isEmpty();
            harness.processElement1(review("c"));
            assertThat(scoredIds(harness)).containsExactly("a", "b", "c");
            // The full batch's delay timer is now stale: it must not flush the next batch early.
            harness.setProcessingTime(MAX_DELAY_MS / 2);
            harness.processElement1(review("d"));
            harness.setProcessingTime(MAX_DELAY_MS);
            assertThat(scoredIds(harness)).containsExactly("a", "b", "c");
            harness.setProcessingTime(MAX_DELAY_MS / 2 + MAX_DELAY_MS);
            assertThat(scoredIds(harness)).containsExactly("a", "b", "c", "d");
            assertThat(harness.extractOutputValues())
                    .allSatisfy(s -> assertThat(s.score).isBetween(0.0, 1.0))
                    .allSatisfy(s -> assertThat(s.modelVersion).isEqualTo("textcnn-test@1"));
        }
    }

    @Test
    void shouldScoreAPartialBatchWhenItsOldestReviewHasWaitedMaxDelay() throws Exception {
        try (var harness = harness()) {
            harness.setProcessingTime(10);
            harness.processElement1(review("a"));
            harness.setProcessingTime(50);
            harness.processElement1(review("b"));
            harness.setProcessingTime(10 + MAX_DELAY_MS - 1);
            assertThat(scoredIds(harness)).isEmpty();
            harness.setProcessingTime(10 + MAX_DELAY_MS);
            assertThat(scoredIds(harness)).containsExactly("a", "b");
            assertThat(harness.getProcessingTimeService().getNumActiveTimers())
                    .as("only the drift window's timer")
                    .isEqualTo(1);
        }
    }

    @Test
    void shouldFlushBeforeACheckpointSoNothingBufferedIsInTheSnapshot() throws Exception {
        try (var harness = harness()) {
            harness.setProcessingTime(1);
            harness.processElement1(review("a"));
            harness.prepareSnapshotPreBarrier(1);
            assertThat(scoredIds(harness)).containsExactly("a");
            harness.snapshot(1, 1);
            harness.setProcessingTime(1 + MAX_DELAY_MS);
            assertThat(scoredIds(harness)).as("the stale timer scores nothing twice").hasSize(1);
            assertThat(harness.getProcessingTimeService().getNumActiveTimers())
                    .as("only the drift window's timer")
                    .isEqualTo(1);
        }
    }

    @Test
    void shouldScoreWhatIsBufferedWhenTheInputEnds() throws Exception {
        try (var harness = harness()) {
            harness.processElement1(review("a"));
            harness.endInput1();
            assertThat(scoredIds(harness)).containsExactly("a");
        }
    }

    @Test
    void oneUnscorableReviewShouldNotSinkItsBatch() throws Exception {
        try (var harness = harness()) {
            harness.processElement1(review("good-1"));
            StreamRecord<TokenizedReview> broken = review("broken");
            broken.getValue().tokens = null;
            harness.processElement1(broken);
            harness.processElement1(review("good-2"));
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
            harness.processElement1(review("short-1"));
            harness.processElement1(review("long-1", words(150)));
            harness.processElement1(review("short-2"));
            harness.processElement1(review("short-3"));
            assertThat(scoredIds(harness)).containsExactly("short-1", "short-2", "short-3");
            harness.processElement1(review("long-2", words(140)));
            harness.processElement1(review("long-3", words(129)));
            assertThat(scoredIds(harness))
                    .containsExactly("short-1", "short-2", "short-3", "long-1", "long-2", "long-3");
        }
    }

    @Test
    void aRestoredInstanceShouldLoseNothingThatWasBufferedAtTheSnapshot() throws Exception {
        OperatorSubtaskState state;
        List<String> before;
        try (var harness = harness()) {
            harness.processElement1(review("a"));
            harness.processElement1(review("b"));
            harness.prepareSnapshotPreBarrier(7);
            state = harness.snapshot(7, 7);
            before = scoredIds(harness);
        }
        assertThat(before)
                .as("buffered reviews are scored before the barrier")
                .containsExactly("a", "b");
        try (var restored = harness(ModelCatalog.of(TestModel.directory()), state)) {
            restored.processElement1(review("c"));
            restored.endInput1();
            assertThat(scoredIds(restored)).containsExactly("c");
        }
    }

    private static String[] words(int length) {
        String[] words = new String[length];
        Arrays.fill(words, "film");
        return words;
    }
}
