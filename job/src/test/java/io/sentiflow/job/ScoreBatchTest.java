package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.Tokenizer;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Sentiment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Operator-harness tests of the scoring operator with the real model: adaptive batching on the
 * scorer thread, the optional minimum delay, checkpoints that keep what waits instead of waiting
 * for it, draining at the end, backpressure, restore.
 */
class ScoreBatchTest {
    static final int MAX_SIZE = 3;
    static final long MAX_DELAY_MS = 100;

    static TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness(
            ModelCatalog catalog, OperatorSubtaskState restoreFrom) throws Exception {
        return harness(catalog, restoreFrom, ScoringSettings.of("cpu", MAX_SIZE, MAX_DELAY_MS));
    }

    static TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness(
            ModelCatalog catalog, OperatorSubtaskState restoreFrom, ScoringSettings settings)
            throws Exception {
        var harness = new TwoInputStreamOperatorTestHarness<>(new ScoreBatch(catalog, settings));
        harness.setProcessingTime(0);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    private static TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness()
            throws Exception {
        return harness(ModelCatalog.of(TestModel.directory()), null);
    }

    private static TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> adaptive(
            int maxPending) throws Exception {
        return adaptive(maxPending, ScoringSettings.of("cpu", 8, 0).batching().sortWindow());
    }

    private static TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> adaptive(
            int maxPending, int sortWindow) throws Exception {
        return harness(
                ModelCatalog.of(TestModel.directory()),
                null,
                adaptiveSettings(maxPending, sortWindow, 0, 0));
    }

    /** Batches of at most 8, the given bounds, minimum delay and load delay. */
    private static ScoringSettings adaptiveSettings(
            int maxPending, int sortWindow, long minDelay, long loadDelay) {
        return ScoringSettings.of("cpu", 8, 0)
                .with(new ScoringSettings.Batching(8, minDelay, loadDelay, maxPending, sortWindow));
    }

    static StreamRecord<ParsedReview> review(String id, String text) {
        KafkaRecord source = new KafkaRecord("reviews", 0, id.hashCode() & 0xffff, 0L, null);
        return new StreamRecord<>(new ParsedReview(id, text, null, source));
    }

    static StreamRecord<ParsedReview> review(String id) {
        return review(id, "a fine film");
    }

    /**
     * Runs what the scorer and the loader sent back through the mailbox until the operator has
     * nothing in flight.
     */
    static void settle(TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, ?> harness)
            throws Exception {
        ScoreBatch operator = (ScoreBatch) harness.getOperator();
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            for (Mail mail : harness.getTaskMailbox().drain()) {
                mail.run();
            }
            if (!operator.busy() || operator.waitsForDelay()) {
                return;
            }
            assertThat(System.currentTimeMillis()).as("settled in time").isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    static List<String> scoredIds(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness) {
        return harness.extractOutputValues().stream().map(Sentiment::reviewId).toList();
    }

    @Test
    void aLoneReviewShouldBeScoredAtOnceWithoutWaitingForABatch() throws Exception {
        try (var harness = adaptive(32)) {
            harness.processElement1(review("alone"));
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("alone");
            assertThat(harness.getProcessingTime()).as("no timer was needed").isZero();
            assertThat(harness.extractOutputValues().get(0).modelVersion())
                    .isEqualTo("textcnn-test@1");
        }
    }

    @Test
    void aBacklogShouldBeScoredInBatchesWithTheInputBlockedAtMaxPending() throws Exception {
        try (var harness = adaptive(16)) {
            // 100 reviews of 3 to 15 tokens arrive faster than the scorer: at most 16 wait, the
            // input yields.
            for (int i = 0; i < 100; i++) {
                harness.processElement1(review("r" + i, "a fine film ".repeat(1 + i % 5)));
                assertThat(((ScoreBatch) harness.getOperator()).waiting()).isLessThan(16);
            }
            settle(harness);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                expected.add("r" + i);
            }
            // Each exactly once; sorted windows may reorder a backlog by length.
            assertThat(scoredIds(harness)).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(scoredIds(harness))
                    .as("windows formed: not in arrival order")
                    .isNotEqualTo(expected);
        }
        // With batch.sort-window 0 the same backlog keeps arrival order.
        try (var harness = adaptive(16, 0)) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                harness.processElement1(review("r" + i, "a fine film ".repeat(1 + i % 5)));
                expected.add("r" + i);
            }
            settle(harness);
            assertThat(scoredIds(harness)).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void withAMinimumDelayAPartialBatchShouldWaitForIt() throws Exception {
        try (var harness = harness()) {
            harness.setProcessingTime(10);
            harness.processElement1(review("a"));
            harness.setProcessingTime(50);
            harness.processElement1(review("b"));
            settle(harness);
            harness.setProcessingTime(10 + MAX_DELAY_MS - 1);
            settle(harness);
            assertThat(scoredIds(harness)).isEmpty();
            harness.setProcessingTime(10 + MAX_DELAY_MS);
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("a", "b");
            harness.processElement1(review("c"));
            harness.processElement1(review("d"));
            harness.processElement1(review("e"));
            settle(harness);
            assertThat(scoredIds(harness)).as("a full batch does not wait").hasSize(5);
        }
    }

    @Test
    void whileTheScorerIsLoadedAPartialBatchShouldWaitForTheLoadDelay() throws Exception {
        ScoringSettings defaults = ScoringSettings.of("cpu", 8, 0);
        long loadDelay = 100;
        ScoringSettings settings =
                adaptiveSettings(
                        defaults.batching().maxPending(),
                        defaults.batching().sortWindow(),
                        0,
                        loadDelay);
        try (var harness = harness(ModelCatalog.of(TestModel.directory()), null, settings)) {
            ScoreBatch operator = (ScoreBatch) harness.getOperator();
            // Not loaded: a lone review is scored at once.
            harness.processElement1(review("light"));
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("light");
            // Two seconds of which the scorer was busy all: loaded. The next result applies it.
            long later = System.nanoTime() + 2_000_000_000L;
            assertThat(operator.scorerLoad().record(2_000_000_000L, later)).isTrue();
            harness.processElement1(review("first"));
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("light", "first");
            harness.setProcessingTime(10);
            harness.processElement1(review("held"));
            settle(harness);
            harness.setProcessingTime(10 + loadDelay - 1);
            settle(harness);
            assertThat(scoredIds(harness)).as("waits for company").hasSize(2);
            assertThat(operator.waitsForDelay()).isTrue();
            harness.setProcessingTime(10 + loadDelay);
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("light", "first", "held");
        }
    }

    @Test
    void whenTheLoadDelayEndsAHeldReviewShouldLeaveAtTheShorterMinimumDelay() throws Exception {
        ScoringSettings defaults = ScoringSettings.of("cpu", 8, 0);
        ScoringSettings settings =
                adaptiveSettings(
                        defaults.batching().maxPending(),
                        defaults.batching().sortWindow(),
                        50,
                        100);
        try (var harness = harness(ModelCatalog.of(TestModel.directory()), null, settings)) {
            ScoreBatch operator = (ScoreBatch) harness.getOperator();
            long later = System.nanoTime() + 2_000_000_000L;
            assertThat(operator.scorerLoad().record(2_000_000_000L, later)).isTrue();
            harness.processElement1(review("first"));
            harness.setProcessingTime(50);
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("first");
            // Loaded: held until 60 + 100, a timer set for then.
            harness.setProcessingTime(60);
            harness.processElement1(review("held"));
            settle(harness);
            assertThat(operator.waitsForDelay()).isTrue();
            // The load ends; the next result (a full batch of another length) applies it.
            assertThat(operator.scorerLoad().record(0, later + 2_000_000_000L)).isFalse();
            for (int i = 0; i < 8; i++) {
                harness.processElement1(review("long-" + i, "a fine film ".repeat(10)));
            }
            settle(harness);
            assertThat(scoredIds(harness)).hasSize(9).doesNotContain("held");
            harness.setProcessingTime(60 + 50);
            settle(harness);
            assertThat(scoredIds(harness)).as("left at the minimum delay").contains("held");
        }
    }

    @Test
    void aCheckpointShouldNotForceWhatWaitsAndShouldScoreNothingTwice() throws Exception {
        try (var harness = harness()) {
            harness.setProcessingTime(1);
            harness.processElement1(review("a"));
            harness.prepareSnapshotPreBarrier(1);
            harness.snapshot(1, 1);
            assertThat(scoredIds(harness)).as("still waiting for the minimum delay").isEmpty();
            assertThat(((ScoreBatch) harness.getOperator()).waiting()).isEqualTo(1);
            harness.setProcessingTime(1 + MAX_DELAY_MS);
            settle(harness);
            harness.prepareSnapshotPreBarrier(2);
            harness.snapshot(2, 2);
            harness.setProcessingTime(1 + 2 * MAX_DELAY_MS);
            settle(harness);
            assertThat(scoredIds(harness)).containsExactly("a");
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
    void aRestoredInstanceShouldScoreWhatWaitedAtTheSnapshot() throws Exception {
        OperatorSubtaskState state;
        try (var harness = harness()) {
            harness.processElement1(review("a"));
            harness.processElement1(review("b"));
            harness.prepareSnapshotPreBarrier(7);
            state = harness.snapshot(7, 7);
            assertThat(scoredIds(harness)).as("waiting for the minimum delay").isEmpty();
        }
        try (var restored = harness(ModelCatalog.of(TestModel.directory()), state)) {
            assertThat(((ScoreBatch) restored.getOperator()).waiting())
                    .as("queued again before any new review")
                    .isEqualTo(2);
            restored.processElement1(review("c"));
            restored.endInput1();
            assertThat(scoredIds(restored)).containsExactly("a", "b", "c");
        }
    }

    @Test
    void aRestoredInstanceShouldScoreTheBatchThatWasOnTheScorerAtTheSnapshot() throws Exception {
        OperatorSubtaskState state;
        try (var harness = adaptive(16)) {
            harness.processElement1(review("on-scorer"));
            harness.processElement1(review("waiting"));
            ScoreBatch operator = (ScoreBatch) harness.getOperator();
            // The first went to the scorer at once; its result is not back through the mailbox.
            assertThat(operator.waiting()).isEqualTo(1);
            harness.prepareSnapshotPreBarrier(3);
            state = harness.snapshot(3, 3);
            assertThat(scoredIds(harness)).as("the barrier did not wait for the scorer").isEmpty();
            settle(harness);
            assertThat(scoredIds(harness))
                    .as("scored after the barrier, as usual")
                    .containsExactly("on-scorer", "waiting");
        }
        try (var restored =
                harness(
                        ModelCatalog.of(TestModel.directory()),
                        state,
                        adaptiveSettings(16, 0, 0, 0))) {
            settle(restored);
            assertThat(scoredIds(restored)).containsExactlyInAnyOrder("on-scorer", "waiting");
        }
    }

    @Test
    void aCheckpointShouldKeepAtMostItsBoundOfTextAndScoreTheRestBeforeTheBarrier()
            throws Exception {
        OperatorSubtaskState state;
        List<String> beforeBarrier;
        String longText = "a fine film, well worth seeing. ".repeat(2_000); // 64 kB
        List<String> sent = new ArrayList<>();
        try (var harness = harness()) {
            harness.setProcessingTime(1);
            for (int i = 0; i < 40; i++) {
                sent.add("long-" + i);
                harness.processElement1(review("long-" + i, longText));
            }
            ScoreBatch operator = (ScoreBatch) harness.getOperator();
            assertThat(operator.waitingTextBytes())
                    .as("2.5 MB wait")
                    .isGreaterThan(2 * ScoreBatch.CHECKPOINT_TEXT_MAX_BYTES);
            harness.prepareSnapshotPreBarrier(5);
            assertThat(operator.waitingTextBytes())
                    .isLessThanOrEqualTo(ScoreBatch.CHECKPOINT_TEXT_MAX_BYTES)
                    .as("only down to the bound, not everything")
                    .isGreaterThan(ScoreBatch.CHECKPOINT_TEXT_MAX_BYTES / 2);
            state = harness.snapshot(5, 5);
            beforeBarrier = scoredIds(harness);
        }
        try (var restored = harness(ModelCatalog.of(TestModel.directory()), state)) {
            restored.endInput1();
            List<String> all = new ArrayList<>(beforeBarrier);
            all.addAll(scoredIds(restored));
            assertThat(all)
                    .as("each once, before the barrier or from the state")
                    .hasSameElementsAs(sent)
                    .hasSize(40);
        }
    }

    @Test
    void whatWaitedShouldBeScoredOnceWhenTheOperatorScalesInAndOut() throws Exception {
        ModelCatalog catalog = ModelCatalog.of(TestModel.directory());
        ScoringSettings settings = ScoringSettings.of("cpu", MAX_SIZE, MAX_DELAY_MS);
        List<String> sent = new ArrayList<>();
        OperatorSubtaskState[] states = new OperatorSubtaskState[2];
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var harness =
                    new TwoInputStreamOperatorTestHarness<>(
                            new ScoreBatch(catalog, settings), 128, 2, subtask)) {
                harness.setProcessingTime(0);
                harness.open();
                for (String id : List.of("s" + subtask + "-a", "s" + subtask + "-b")) {
                    sent.add(id);
                    harness.processElement1(review(id));
                }
                harness.prepareSnapshotPreBarrier(1);
                states[subtask] = harness.snapshot(1, 1);
                assertThat(scoredIds(harness)).isEmpty();
            }
        }
        OperatorSubtaskState both = AbstractStreamOperatorTestHarness.repackageState(states);
        // Two subtasks into one: it takes all four.
        List<String> scoredByOne;
        OperatorSubtaskState oneState;
        try (var one =
                new TwoInputStreamOperatorTestHarness<>(
                        new ScoreBatch(catalog, settings), 128, 1, 0)) {
            one.setProcessingTime(0);
            one.initializeState(
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(both, 128, 2, 1, 0));
            one.open();
            assertThat(((ScoreBatch) one.getOperator()).waitingTextBytes())
                    .as("all four queued again (some already on the scorer)")
                    .isEqualTo(4 * "a fine film".length());
            one.prepareSnapshotPreBarrier(2);
            oneState = one.snapshot(2, 2);
            one.endInput1();
            scoredByOne = scoredIds(one);
        }
        assertThat(scoredByOne).hasSameElementsAs(sent).hasSize(4);
        // One subtask into two: each review to exactly one of them.
        List<String> scoredByTwo = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var harness =
                    new TwoInputStreamOperatorTestHarness<>(
                            new ScoreBatch(catalog, settings), 128, 2, subtask)) {
                harness.setProcessingTime(0);
                harness.initializeState(
                        AbstractStreamOperatorTestHarness.repartitionOperatorState(
                                oneState, 128, 1, 2, subtask));
                harness.open();
                harness.endInput1();
                scoredByTwo.addAll(scoredIds(harness));
            }
        }
        assertThat(scoredByTwo).hasSameElementsAs(sent).hasSize(4);
    }

    @Test
    void aSnapshotAfterEverythingWasScoredShouldRestoreNothing() throws Exception {
        OperatorSubtaskState state;
        try (var harness = adaptive(16)) {
            harness.processElement1(review("a"));
            settle(harness);
            harness.prepareSnapshotPreBarrier(4);
            state = harness.snapshot(4, 4);
            assertThat(scoredIds(harness)).containsExactly("a");
        }
        try (var restored =
                harness(
                        ModelCatalog.of(TestModel.directory()),
                        state,
                        adaptiveSettings(16, 0, 0, 0))) {
            assertThat(((ScoreBatch) restored.getOperator()).waiting()).isZero();
            settle(restored);
            assertThat(scoredIds(restored)).isEmpty();
        }
    }

    @Test
    void aReviewShouldGetTheIdsTrainingGivesItsText() throws Exception {
        ModelConfig config = ModelConfig.read(TestModel.directory());
        Tokenizer tokenizer = new Tokenizer(config.maxLength());
        Vocabulary vocabulary =
                Vocabulary.load(io.sentiflow.model.ModelFiles.vocabulary(TestModel.directory()));
        try (LoadedModel model =
                LoadedModel.load(
                        config.modelVersion(),
                        io.sentiflow.model.VerifiedModel.read(TestModel.directory()),
                        ai.djl.Device.cpu())) {
            for (LabeledText text : TestModel.imdb().sample("test", 300, 4)) {
                assertThat(model.encode(text.text()))
                        .isEqualTo(vocabulary.encode(tokenizer.tokenize(text.text())));
            }
        }
    }

    @Test
    void theHealthWindowShouldCarryWhatTheSubtaskScored() throws Exception {
        try (var harness = adaptive(32)) {
            for (int i = 0; i < 20; i++) {
                harness.processElement1(review("h" + i));
            }
            settle(harness);
            harness.setProcessingTime(10_000);
            var partials =
                    StreamSupport.stream(
                                    harness.getSideOutput(ScoreBatch.HEALTH).spliterator(), false)
                            .map(StreamRecord::getValue)
                            .toList();
            assertThat(partials)
                    .singleElement()
                    .satisfies(
                            p -> {
                                assertThat(p.scored).isEqualTo(20);
                                assertThat(p.modelVersion).isEqualTo("textcnn-test@1");
                                assertThat(p.windowStart).isZero();
                                assertThat(HealthFigures.of(p).latency.getTotalCount())
                                        .isEqualTo(20);
                            });
        }
    }
}
