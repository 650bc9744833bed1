package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/** What a scored batch becomes, without Flink or a model: results built by hand. */
class ScoredOutputTest {
    private static final String V1 = "textcnn-test@1";
    private static final String V2 = "textcnn-test@2";

    /** Everything written, in order: each record with its output ("main" or the tag's id). */
    private static final class Collected implements OperatorOutput {
        final List<Object[]> written = new ArrayList<>();
        final List<Sentiment> sentiments = new ArrayList<>();

        @Override
        public void sentiment(Sentiment sentiment) {
            written.add(new Object[] {"main", sentiment});
            sentiments.add(sentiment);
        }

        @Override
        public <T> void side(OutputTag<T> tag, T value) {
            written.add(new Object[] {tag.getId(), value});
        }

        <T> List<T> of(OutputTag<T> tag, Class<T> type) {
            return written.stream()
                    .filter(s -> s[0].equals(tag.getId()))
                    .map(s -> type.cast(s[1]))
                    .toList();
        }

        List<String> sentimentIds() {
            return sentiments.stream().map(Sentiment::reviewId).toList();
        }

        /** The outputs written to, in order. */
        List<Object> outputs() {
            return written.stream().map(s -> s[0]).toList();
        }
    }

    private final Collected out = new Collected();
    private final SubtaskHealth health = new SubtaskHealth(10_000, 0, 0);

    private ScoredOutput output(double sampleBand, int maxRecordBytes, double labelFraction) {
        health.start(0);
        return new ScoredOutput(
                new ScoringSettings.Results(
                        sampleBand,
                        maxRecordBytes,
                        new DeadLetters(DeadLetter.DEFAULT_MAX_VALUE_BYTES),
                        new LabelJoin(labelFraction)),
                0.2,
                health,
                0,
                out,
                new UnregisteredMetricsGroup());
    }

    private static ReviewToScore review(String id, String text, int[] ids, long timestamp) {
        KafkaRecord source = new KafkaRecord("reviews", 1, 42, timestamp, null);
        return new ReviewToScore(new ParsedReview(id, text, null, source), text, V1, ids, 0);
    }

    private static Scorer.Result result(
            List<ReviewToScore> reviews, float[] scores, String[] errors, Scorer.Shadow shadow) {
        return new Scorer.Result(
                new Batcher.Batch(V1, reviews), scores, errors, 3_000_000, null, shadow, null);
    }

    private HealthPartial partial(String version) {
        return health.close(10_000, Map.of(), 0.2).partials().stream()
                .filter(p -> p.modelVersion.equals(version))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void eachReviewShouldBecomeOneSentimentOrOneDeadLetterWithItsReviewAsParsed() {
        ScoredOutput scored = output(0, 1 << 20, 0);
        List<ReviewToScore> reviews =
                List.of(
                        review("good", "a fine film", new int[] {5, 6, 7}, 1_000),
                        review("broken", "an odd one", new int[] {8}, 1_000),
                        review("nan", "a strange one", new int[] {9}, 1_000),
                        review("bad", "a dull film", new int[] {1, 10}, 1_500));
        scored.write(
                result(
                        reviews,
                        new float[] {0.9f, 0f, Float.NaN, 0.1f},
                        new String[] {null, "scoring failed: boom", null, null},
                        null),
                2_000);

        assertThat(out.sentimentIds()).containsExactly("good", "bad");
        assertThat(out.outputs())
                .as("in the batch's order")
                .containsExactly("main", "dead-letters", "dead-letters", "main");
        Sentiment good = out.sentiments.get(0);
        assertThat(good.label()).isEqualTo("positive");
        assertThat(good.modelVersion()).isEqualTo(V1);
        assertThat(good.latencyMs()).isEqualTo(1_000);
        assertThat(out.sentiments.get(1).label()).isEqualTo("negative");
        assertThat(out.sentiments.get(1).latencyMs()).isEqualTo(500);

        List<DeadLetter> letters = out.of(DeadLetters.TAG, DeadLetter.class);
        assertThat(letters).hasSize(2);
        assertThat(letters).allMatch(l -> l.reason() == DeadLetter.Reason.SCORING_ERROR);
        assertThat(letters.get(0).message()).startsWith("scoring failed: boom");
        assertThat(letters.get(1).message()).contains("non-finite");
        Review again = Json.review(letters.get(0).originalBytes());
        assertThat(again.id()).isEqualTo("broken");
        assertThat(again.text()).isEqualTo("an odd one");
        assertThat(letters.get(0).sourcePartition()).isEqualTo(1);
        assertThat(letters.get(0).sourceOffset()).isEqualTo(42);

        HealthPartial figures = partial(V1);
        assertThat(figures.scored).isEqualTo(2);
        assertThat(figures.failed).isEqualTo(2);
        assertThat(figures.batches).isEqualTo(1);
        assertThat(figures.batchSizeMax).isEqualTo(4);
        assertThat(figures.tokens).isEqualTo(5);
        assertThat(figures.unknownTokens).as("id 1 is the unknown token").isEqualTo(1);
    }

    @Test
    void anUncertainReviewShouldBeSampledAndWaitForItsLabelUnlessItsSampleCannotFit() {
        ScoredOutput scored = output(0.05, 64 * 1024, 0);
        String huge = "\u0001".repeat(20_000); // 6 bytes of JSON each: 120 kB, over 64 KiB
        List<ReviewToScore> reviews =
                List.of(
                        review("sure", "a fine film", new int[] {5}, 0),
                        review("unsure", "a film", new int[] {6}, 0),
                        review("unsure-huge", huge, new int[] {7}, 0));
        scored.write(result(reviews, new float[] {0.95f, 0.52f, 0.48f}, new String[3], null), 10);

        assertThat(out.sentimentIds()).containsExactly("sure", "unsure", "unsure-huge");
        assertThat(out.outputs())
                .as("a review's sample and prediction before its sentiment")
                .containsExactly("main", "samples", "awaiting-label", "main", "main");
        List<ReviewSample> samples = out.of(ScoreBatch.SAMPLES, ReviewSample.class);
        assertThat(samples).extracting(ReviewSample::reviewId).containsExactly("unsure");
        assertThat(samples.get(0).reason()).isEqualTo("uncertain");
        assertThat(samples.get(0).text()).isEqualTo("a film");
        // Only the sampled review waits for a label (no hashed fraction here).
        assertThat(out.of(ScoreBatch.AWAITING_LABEL, Prediction.class))
                .extracting(p -> p.reviewId)
                .containsExactly("unsure");
    }

    @Test
    void theShadowsAgreementShouldCountUnderTheShadowsVersion() {
        ScoredOutput scored = output(0, 1 << 20, 0);
        List<ReviewToScore> reviews =
                List.of(
                        review("a", "x", new int[] {5}, 0),
                        review("b", "y", new int[] {5}, 0),
                        review("c", "z", new int[] {5}, 0));
        Scorer.Shadow shadow = new Scorer.Shadow(V2, new float[] {0.8f, 0.7f, 0.4f}, 0, null, null);
        scored.write(
                result(
                        reviews,
                        new float[] {0.9f, 0.2f, 0.3f},
                        new String[] {null, null, "scoring failed"},
                        shadow),
                10);

        assertThat(out.sentimentIds()).as("the shadow's scores are never sent").hasSize(2);
        HealthPartial figures = partial(V2);
        assertThat(figures.shadowComparedWith).containsExactly(V1);
        assertThat(figures.shadowCompared).as("the failed review is left out").isEqualTo(2);
        assertThat(figures.shadowAgreed).isEqualTo(1);
        assertThat(figures.shadowDifference).isCloseTo(0.6, offset(1e-6));
        assertThat(figures.scored).as("the shadow scores nothing that is sent").isZero();
    }

    @Test
    void aShadowThatFailsOnEveryBatchShouldChangeNothingThatIsSent() {
        ScoredOutput scored = output(0, 1 << 20, 0);
        List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (LogCapture capture = new LogCapture(lines)) {
            for (int i = 0; i < 200; i++) {
                scored.write(
                        result(
                                List.of(review("r" + i, "x", new int[] {5}, 0)),
                                new float[] {0.9f},
                                new String[1],
                                new Scorer.Shadow(
                                        V2, null, 0, null, "java.lang.OutOfMemoryError: device")),
                        10);
            }
        }
        assertThat(lines)
                .as("one line a minute at most, with the cause")
                .filteredOn(line -> line.startsWith("the shadow"))
                .containsExactly(
                        "the shadow "
                                + V2
                                + " failed on a batch of 1: java.lang.OutOfMemoryError: device");
        assertThat(out.sentimentIds()).hasSize(200);
        List<HealthPartial> partials = health.close(10_000, Map.of(), 0.2).partials();
        assertThat(partials)
                .as("only the version sent; the shadow compared nothing")
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.modelVersion).isEqualTo(V1);
                            assertThat(p.scored).isEqualTo(200);
                        });
    }

    @Test
    void closingTheWindowShouldSendOnePartialPerVersion() {
        ScoredOutput scored = output(0, 1 << 20, 0);
        scored.write(
                result(
                        List.of(review("a", "x", new int[] {5}, 0)),
                        new float[] {0.9f},
                        new String[1],
                        new Scorer.Shadow(V2, new float[] {0.8f}, 0, null, null)),
                10);
        scored.closeWindow(10_000, Map.of());
        assertThat(out.of(ScoreBatch.HEALTH, HealthPartial.class))
                .extracting(p -> p.modelVersion)
                .containsExactlyInAnyOrder(V1, V2);
    }
}
