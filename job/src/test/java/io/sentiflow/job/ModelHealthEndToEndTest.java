package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelHealth;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.SchemaValidator;
import io.sentiflow.schemas.Schemas;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The model-health topic on real parts: its figures against an offline evaluation, and drift. */
class ModelHealthEndToEndTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /**
     * Runs the job at parallelism 2 over what the fixture's topics hold, until the input ends, in
     * one health window: no window boundary splits the run.
     */
    private static void runBounded(StreamingFixture fixture, Map<String, String> overrides)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        Map<String, String> settings = new java.util.HashMap<>(overrides);
        settings.put(JobConfig.BOUNDED, "true");
        settings.put(JobConfig.HEALTH_WINDOW_MS, "3600000");
        SentimentJob.fromConfig(fixture.config(settings)).execute(env);
    }

    /**
     * Runs the job over {@code reviews} (labelled) plus {@code malformed}, and returns its health
     * records.
     */
    private static List<ModelHealth> healthOf(
            String name, List<LabeledText> reviews, List<byte[]> malformed) throws Exception {
        return healthOf(name, reviews, malformed, Map.of());
    }

    private static List<ModelHealth> healthOf(
            String name,
            List<LabeledText> reviews,
            List<byte[]> malformed,
            Map<String, String> overrides)
            throws Exception {
        StreamingFixture fixture = new StreamingFixture(KAFKA, name);
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(KAFKA.bootstrapServers(), new Properties())) {
            for (int i = 0; i < reviews.size(); i++) {
                String id = name + "-" + i;
                Review review =
                        new Review(
                                id,
                                reviews.get(i).text(),
                                reviews.get(i).positive() ? "positive" : "negative",
                                "test",
                                null);
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(review)));
            }
            for (byte[] bad : malformed) {
                producer.send(new ProducerRecord<>(fixture.reviews, bad));
            }
        }
        runBounded(fixture, overrides);
        SchemaValidator validator = new SchemaValidator();
        List<ModelHealth> records = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record :
                KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        fixture.health,
                        r ->
                                r.stream()
                                                .mapToLong(
                                                        x ->
                                                                Json.modelHealth(x.value())
                                                                        .reviewsScored())
                                                .sum()
                                        >= reviews.size(),
                        Duration.ofSeconds(60))) {
            assertThat(validator.validate(Schemas.MODEL_HEALTH_V1, record.value())).isEmpty();
            records.add(Json.modelHealth(record.value()));
        }
        return records;
    }

    @Test
    void healthShouldAgreeWithAnOfflineEvaluationOfTheSameReviews() throws Exception {
        List<LabeledText> reviews = TestModel.imdb().sample("test", 300, 91);
        List<ModelHealth> records =
                healthOf(
                        "agree",
                        reviews,
                        List.of(
                                "{\"id\": \"x\", \"text\": ".getBytes(StandardCharsets.UTF_8),
                                "{\"text\": \"no id\"}".getBytes(StandardCharsets.UTF_8),
                                "{\"id\": \"e\", \"text\": \"<br />\"}"
                                        .getBytes(StandardCharsets.UTF_8)));

        long scored = 0, labelled = 0, positives = 0;
        double correct = 0;
        Map<String, Long> deadLetters = new java.util.TreeMap<>();
        for (ModelHealth h : records) {
            assertThat(h.modelVersion()).isEqualTo("textcnn-test@1");
            scored += h.reviewsScored();
            labelled += h.labelled();
            correct += h.accuracy() * h.labelled();
            positives += Math.round(h.positiveRate() * h.reviewsScored());
            h.deadLetters().forEach((reason, count) -> deadLetters.merge(reason, count, Long::sum));
            assertThat(h.drift())
                    .as("IMDB test reviews against the IMDB reference")
                    .isLessThan(0.2);
            assertThat(h.alerts()).doesNotContain("drift");
            assertThat(h.batchSizeMax()).isPositive();
            assertThat(h.oovRate()).isBetween(0.0, 0.5);
        }
        assertThat(scored).isEqualTo(300);
        assertThat(labelled).isEqualTo(300);
        assertThat(deadLetters)
                .containsEntry("INVALID_JSON", 1L)
                .containsEntry("MISSING_FIELD", 1L)
                .containsEntry("EMPTY_TEXT", 1L);

        try (SentimentScorer scorer = SentimentScorer.load(TestModel.directory(), Device.cpu())) {
            float[] scores = scorer.scoreTexts(reviews.stream().map(LabeledText::text).toList());
            long offlineCorrect = 0, offlinePositive = 0;
            for (int i = 0; i < scores.length; i++) {
                offlinePositive += scores[i] >= 0.5f ? 1 : 0;
                offlineCorrect += (scores[i] >= 0.5f) == reviews.get(i).positive() ? 1 : 0;
            }
            assertThat(correct / labelled).isCloseTo(offlineCorrect / 300.0, within(1e-9));
            assertThat(positives).isEqualTo(offlinePositive);
        }
    }

    @Test
    void aShiftedStreamShouldCrossTheDriftThresholdAndBeFlagged() throws Exception {
        // Reviews in words the model never saw, as when a producer starts sending another language.
        Random random = new Random(5);
        List<LabeledText> shifted = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 40; w++) {
                for (int c = 0; c < 7; c++) {
                    text.append((char) ('a' + random.nextInt(26)));
                }
                text.append(' ');
            }
            shifted.add(new LabeledText(text.toString(), random.nextBoolean()));
        }
        // No band sampling here, so every review may enter the drift sample.
        List<ModelHealth> records =
                healthOf("shifted", shifted, List.of(), Map.of(JobConfig.SAMPLES_BAND, "0"));
        // Each scoring subtask saw a drifted window: a random sample of it went out for labelling.
        Map<String, String> texts = new java.util.HashMap<>();
        for (int i = 0; i < shifted.size(); i++) {
            texts.put("shifted-" + i, shifted.get(i).text());
        }
        List<io.sentiflow.schemas.ReviewSample> drifted =
                KafkaClients.readUntil(
                                KAFKA.bootstrapServers(),
                                "shifted-samples",
                                r -> r.size() >= 40,
                                Duration.ofSeconds(20))
                        .stream()
                        .map(r -> Json.reviewSample(r.value()))
                        .filter(sample -> sample.reason().equals("drift"))
                        .toList();
        assertThat(drifted).as("20 per subtask (samples.drift-max)").hasSize(40);
        assertThat(drifted)
                .allSatisfy(
                        sample -> {
                            assertThat(sample.text()).isEqualTo(texts.get(sample.reviewId()));
                            assertThat(sample.modelVersion()).isEqualTo("textcnn-test@1");
                        });
        assertThat(drifted.stream().map(io.sentiflow.schemas.ReviewSample::reviewId).distinct())
                .hasSize(40);
        assertThat(records)
                .isNotEmpty()
                .allSatisfy(
                        h -> {
                            assertThat(h.drift()).isGreaterThan(0.2);
                            assertThat(h.alerts()).contains("drift");
                            assertThat(h.oovRate()).isGreaterThan(0.9);
                            assertThat(h.referenceOovRate()).isLessThan(0.2);
                        });
    }

    @Test
    void labelsArrivingLaterOnTheLabelsTopicShouldYieldLiveAccuracy() throws Exception {
        List<LabeledText> reviews = TestModel.imdb().sample("test", 200, 93);
        StreamingFixture fixture = new StreamingFixture(KAFKA, "feedback");
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(KAFKA.bootstrapServers(), new Properties())) {
            for (int i = 0; i < reviews.size(); i++) {
                String id = "feedback-" + i;
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(Review.of(id, reviews.get(i).text()))));
                io.sentiflow.schemas.ReviewLabel label =
                        io.sentiflow.schemas.ReviewLabel.of(
                                id, reviews.get(i).positive() ? "positive" : "negative");
                producer.send(
                        new ProducerRecord<>(
                                fixture.labels,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(label)));
            }
            producer.send(
                    new ProducerRecord<>(
                            fixture.labels,
                            "{\"reviewId\": \"x\", \"label\": \"meh\"}"
                                    .getBytes(StandardCharsets.UTF_8)));
        }
        // Every prediction waits for its label here (the default joins 1 % and sampled reviews).
        runBounded(fixture, Map.of(JobConfig.LABELS_JOIN_FRACTION, "1"));
        List<ModelHealth> records = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record :
                KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        fixture.health,
                        r ->
                                r.stream()
                                                .mapToLong(
                                                        x -> Json.modelHealth(x.value()).labelled())
                                                .sum()
                                        >= reviews.size(),
                        Duration.ofSeconds(60))) {
            records.add(Json.modelHealth(record.value()));
        }
        long labelled = records.stream().mapToLong(ModelHealth::labelled).sum();
        double correct =
                records.stream()
                        .filter(h -> h.accuracy() != null)
                        .mapToDouble(h -> h.accuracy() * h.labelled())
                        .sum();
        assertThat(labelled).isEqualTo(reviews.size());
        try (SentimentScorer scorer = SentimentScorer.load(TestModel.directory(), Device.cpu())) {
            float[] scores = scorer.scoreTexts(reviews.stream().map(LabeledText::text).toList());
            long offlineCorrect = 0;
            for (int i = 0; i < scores.length; i++) {
                offlineCorrect += (scores[i] >= 0.5f) == reviews.get(i).positive() ? 1 : 0;
            }
            assertThat(correct / labelled)
                    .isCloseTo(offlineCorrect / (double) reviews.size(), within(1e-9));
        }
        var letters =
                KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        fixture.deadLetters,
                        r -> !r.isEmpty(),
                        Duration.ofSeconds(30));
        assertThat(letters)
                .singleElement()
                .satisfies(
                        r ->
                                assertThat(Json.deadLetter(r.value()).sourceTopic())
                                        .isEqualTo(fixture.labels));
    }

    @Test
    void reviewsScoredNearOneHalfShouldBeRoutedOutForLabelling() throws Exception {
        List<LabeledText> reviews = TestModel.imdb().sample("test", 300, 95);
        StreamingFixture fixture = new StreamingFixture(KAFKA, "samples");
        fixture.produce(reviews, "s", 0);
        runBounded(fixture, Map.of(JobConfig.SAMPLES_BAND, "0.1"));

        java.util.Map<String, String> expected = new java.util.HashMap<>();
        try (SentimentScorer scorer = SentimentScorer.load(TestModel.directory(), Device.cpu())) {
            float[] scores = scorer.scoreTexts(reviews.stream().map(LabeledText::text).toList());
            for (int i = 0; i < scores.length; i++) {
                if (Math.abs(scores[i] - 0.5) <= 0.1) {
                    expected.put("s-" + i, reviews.get(i).text());
                }
            }
        }
        assertThat(expected).as("the test model is unsure about some reviews").isNotEmpty();
        SchemaValidator validator = new SchemaValidator();
        java.util.Map<String, String> sampled = new java.util.HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record :
                KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        fixture.samples,
                        r ->
                                r.stream()
                                                .filter(
                                                        x ->
                                                                Json.reviewSample(x.value())
                                                                        .reason()
                                                                        .equals("uncertain"))
                                                .count()
                                        >= expected.size(),
                        Duration.ofSeconds(60))) {
            assertThat(validator.validate(Schemas.REVIEW_SAMPLE_V1, record.value())).isEmpty();
            var sample = Json.reviewSample(record.value());
            if (!sample.reason().equals("uncertain")) {
                continue;
            }
            assertThat(sample.score()).isBetween(0.4, 0.6);
            assertThat(sample.modelVersion()).isEqualTo("textcnn-test@1");
            sampled.put(sample.reviewId(), sample.text());
        }
        assertThat(sampled).isEqualTo(expected);
    }
}
