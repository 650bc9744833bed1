package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.SchemaValidator;
import io.sentiflow.schemas.Schemas;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole path on real parts: an in-process KRaft broker, a Flink mini cluster at parallelism 2,
 * a TextCNN trained on real IMDB reviews scoring on the CPU with DJL/PyTorch.
 */
class SentimentJobEndToEndTest {
    private static final int REVIEWS = 600;
    private static final int MAX_BYTES = 20_000;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(noRestarts())
                            .build());

    /** Without restarts, anything that threw would fail the job, and execute() with it. */
    private static org.apache.flink.configuration.Configuration noRestarts() {
        org.apache.flink.configuration.Configuration conf =
                new org.apache.flink.configuration.Configuration();
        conf.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    private static EmbeddedKafka kafka;
    private static final Map<String, Boolean> truth = new HashMap<>();
    private static final Map<String, String> texts = new HashMap<>();

    /** Malformed values by the offset-independent key we give them, with the reason we expect. */
    private static final Map<String, DeadLetter.Reason> expectedReasons = new LinkedHashMap<>();

    private static final Map<String, byte[]> malformedValues = new LinkedHashMap<>();
    private static List<ConsumerRecord<byte[], byte[]>> sentiments;
    private static List<ConsumerRecord<byte[], byte[]>> deadLetters;

    @BeforeAll
    static void runTheJobOverRealReviewsAndMalformedMessages() throws Exception {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(
                2,
                List.of(
                        "reviews",
                        "sentiments",
                        "reviews-dlq",
                        "model-health",
                        "review-labels",
                        "review-samples",
                        "model-control",
                        "model-routing"));
        List<LabeledText> reviews = TestModel.imdb().sample("test", REVIEWS, 21);
        malformed();
        moreMalformed();
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
            for (int i = 0; i < reviews.size(); i++) {
                LabeledText review = reviews.get(i);
                String id = "imdb-test-" + i;
                truth.put(id, review.positive());
                texts.put(id, review.text());
                producer.send(
                        new ProducerRecord<>(
                                "reviews",
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(
                                        new Review(
                                                id,
                                                review.text(),
                                                null,
                                                "imdb-test",
                                                System.currentTimeMillis()))));
                if (i % 18 == 0) {
                    String key = "bad-" + (i / 18);
                    if (malformedValues.containsKey(key)) {
                        producer.send(
                                new ProducerRecord<>(
                                        "reviews",
                                        key.getBytes(StandardCharsets.UTF_8),
                                        malformedValues.get(key)));
                    }
                }
            }
            for (Map.Entry<String, byte[]> rest : malformedValues.entrySet()) {
                int index = Integer.parseInt(rest.getKey().substring(4));
                if (index * 18 >= reviews.size()) {
                    producer.send(
                            new ProducerRecord<>(
                                    "reviews",
                                    rest.getKey().getBytes(StandardCharsets.UTF_8),
                                    rest.getValue()));
                }
            }
            producer.flush();
        }

        JobConfig config =
                JobConfig.of(
                        Map.of(
                                JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                                JobConfig.MODEL_PATH, TestModel.directory().toString(),
                                JobConfig.BOUNDED, "true",
                                JobConfig.BATCH_MAX_SIZE, "32",
                                JobConfig.REVIEW_MAX_BYTES, String.valueOf(MAX_BYTES),
                                JobConfig.CHECKPOINT_INTERVAL_MS, "1000",
                                JobConfig.RESTART_MAX_FAILURES, "0",
                                JobConfig.DEVICE, "cpu"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        SentimentJob.fromConfig(config).execute(env);

        sentiments =
                KafkaClients.readUntil(
                        kafka.bootstrapServers(),
                        "sentiments",
                        r -> r.size() >= REVIEWS,
                        Duration.ofSeconds(30));
        deadLetters =
                KafkaClients.readUntil(
                        kafka.bootstrapServers(),
                        "reviews-dlq",
                        r -> r.size() >= malformedValues.size(),
                        Duration.ofSeconds(30));
    }

    private static void malformed() {
        add(DeadLetter.Reason.NULL_VALUE, null);
        add(DeadLetter.Reason.INVALID_UTF8, new byte[] {'{', '"', 'i', (byte) 0xFF, '"', '}'});
        add(
                DeadLetter.Reason.INVALID_JSON,
                "{\"id\": \"x\", \"text\": ".getBytes(StandardCharsets.UTF_8));
        add(DeadLetter.Reason.INVALID_JSON, "not json at all".getBytes(StandardCharsets.UTF_8));
        add(DeadLetter.Reason.INVALID_JSON, new byte[0]);
        add(DeadLetter.Reason.NOT_AN_OBJECT, "[\"a\", \"b\"]".getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.MISSING_FIELD,
                "{\"text\": \"no id here\"}".getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.MISSING_FIELD,
                "{\"id\": \"no-text\"}".getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.WRONG_TYPE,
                "{\"id\": 42, \"text\": \"numeric id\"}".getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.EMPTY_TEXT,
                "{\"id\": \"blank\", \"text\": \"   \"}".getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.EMPTY_TEXT,
                "{\"id\": \"markup\", \"text\": \"<br /><br />\"}"
                        .getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.TEXT_TOO_LONG,
                ("{\"id\": \"huge\", \"text\": \"" + "long ".repeat(MAX_BYTES / 4) + "\"}")
                        .getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.INVALID_FIELD,
                "{\"id\": \"l\", \"text\": \"fine\", \"label\": \"meh\"}"
                        .getBytes(StandardCharsets.UTF_8));
        add(
                DeadLetter.Reason.WRONG_TYPE,
                "{\"id\": \"t\", \"text\": \"fine\", \"producedAt\": \"noon\"}"
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** More kinds of broken input, each one a way producers really get it wrong. */
    private static void moreMalformed() {
        add(DeadLetter.Reason.NOT_AN_OBJECT, utf8("null"));
        add(DeadLetter.Reason.NOT_AN_OBJECT, utf8("42"));
        add(DeadLetter.Reason.NOT_AN_OBJECT, utf8("\"just a string\""));
        add(DeadLetter.Reason.WRONG_TYPE, utf8("{\"id\": \"n\", \"text\": 12}"));
        add(DeadLetter.Reason.WRONG_TYPE, utf8("{\"id\": \"o\", \"text\": {\"a\": 1}}"));
        add(DeadLetter.Reason.WRONG_TYPE, utf8("{\"id\": \"lt\", \"text\": \"x\", \"label\": 1}"));
        add(
                DeadLetter.Reason.WRONG_TYPE,
                utf8(
                        "{\"id\": \"big\", \"text\": \"x\", \"producedAt\": 99999999999999999999999}"));
        add(DeadLetter.Reason.MISSING_FIELD, utf8("{\"id\": null, \"text\": \"x\"}"));
        add(DeadLetter.Reason.INVALID_FIELD, utf8("{\"id\": \"\", \"text\": \"x\"}"));
        add(
                DeadLetter.Reason.INVALID_FIELD,
                utf8("{\"id\": \"" + "i".repeat(300) + "\", \"text\": \"x\"}"));
        add(
                DeadLetter.Reason.INVALID_FIELD,
                utf8("{\"id\": \"neg\", \"text\": \"x\", \"producedAt\": -5}"));
        // A lone surrogate cannot go back out as UTF-8: refused, not silently changed to '?'.
        add(DeadLetter.Reason.INVALID_FIELD, utf8("{\"id\": \"sur\\ud800\", \"text\": \"x\"}"));
        add(
                DeadLetter.Reason.INVALID_JSON,
                utf8("{\"id\": \"d\", \"id\": \"e\", \"text\": \"x\"}"));
        add(DeadLetter.Reason.INVALID_JSON, utf8("{\"id\": \"t\", \"text\": \"x\"} garbage"));
        add(DeadLetter.Reason.INVALID_JSON, utf8("   "));
        add(DeadLetter.Reason.INVALID_JSON, utf8("[".repeat(5000) + "]".repeat(5000)));
        add(
                DeadLetter.Reason.INVALID_UTF8,
                new byte[] {
                    '{', '"', 'i', 'd', '"', ':', '"', 'c', 'a', 'f', (byte) 0xC3, '"', '}'
                });
        add(DeadLetter.Reason.INVALID_UTF8, new byte[] {'{', (byte) 0xC0, (byte) 0xAF, '}'});
        add(
                DeadLetter.Reason.INVALID_UTF8,
                "{\"id\": \"u16\", \"text\": \"x\"}".getBytes(StandardCharsets.UTF_16));
        add(DeadLetter.Reason.EMPTY_TEXT, utf8("{\"id\": \"nel\", \"text\": \"\\u0085\\u0085\"}"));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void add(DeadLetter.Reason reason, byte[] value) {
        String key = "bad-" + expectedReasons.size();
        expectedReasons.put(key, reason);
        malformedValues.put(key, value);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyValidReviewShouldYieldExactlyOneSentimentThatValidates() {
        SchemaValidator validator = new SchemaValidator();
        Map<String, Integer> perId = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : sentiments) {
            assertThat(validator.validate(Schemas.SENTIMENT_V1, record.value())).isEmpty();
            Sentiment sentiment = Json.sentiment(record.value());
            assertThat(new String(record.key(), StandardCharsets.UTF_8))
                    .isEqualTo(sentiment.reviewId());
            assertThat(sentiment.modelVersion()).isEqualTo("textcnn-test@1");
            perId.merge(sentiment.reviewId(), 1, Integer::sum);
        }
        assertThat(perId.keySet()).containsExactlyInAnyOrderElementsOf(truth.keySet());
        assertThat(perId.values()).containsOnly(1);
    }

    @Test
    void everyMalformedMessageShouldBeDeadLetteredWithItsReasonAndBytes() {
        assertThat(expectedReasons).as("kinds of malformed input").hasSizeGreaterThanOrEqualTo(25);
        SchemaValidator validator = new SchemaValidator();
        assertThat(deadLetters).hasSize(expectedReasons.size());
        List<String> matched = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : deadLetters) {
            assertThat(validator.validate(Schemas.DEAD_LETTER_V1, record.value())).isEmpty();
            DeadLetter letter = Json.deadLetter(record.value());
            assertThat(letter.sourceTopic()).isEqualTo("reviews");
            String key =
                    malformedValues.entrySet().stream()
                            .filter(
                                    e ->
                                            java.util.Arrays.equals(
                                                    e.getValue(), letter.originalBytes()))
                            .map(Map.Entry::getKey)
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new AssertionError(
                                                    "dead letter with unknown bytes: " + letter));
            assertThat(letter.reason())
                    .as(key + ": " + letter.message())
                    .isEqualTo(expectedReasons.get(key));
            assertThat(letter.message()).isNotBlank();
            matched.add(key);
        }
        assertThat(matched).containsExactlyInAnyOrderElementsOf(expectedReasons.keySet());
    }

    @Test
    void eachScoreShouldBeTheOneTheCommandLineGivesWithTheSameCalibratedModel() throws Exception {
        // The test model is calibrated (T far from 1), so a job that skipped it would differ.
        double temperature =
                Json.mapper()
                        .readTree(TestModel.directory().resolve("config.json").toFile())
                        .path("temperature")
                        .asDouble(1);
        assertThat(Math.abs(temperature - 1)).isGreaterThan(0.05);
        List<String> ids = new ArrayList<>(texts.keySet());
        float[] offline;
        try (io.sentiflow.model.SentimentScorer scorer =
                io.sentiflow.model.SentimentScorer.load(
                        TestModel.directory(), ai.djl.Device.cpu())) {
            offline = scorer.scoreTexts(ids.stream().map(texts::get).toList());
        }
        Map<String, Double> streamed = new HashMap<>();
        sentiments.forEach(
                r -> {
                    Sentiment s = Json.sentiment(r.value());
                    streamed.put(s.reviewId(), s.score());
                });
        assertThat(streamed).hasSize(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            assertThat(streamed.get(ids.get(i)))
                    .as("score of %s", ids.get(i))
                    .isCloseTo(offline[i], org.assertj.core.api.Assertions.within(1e-4));
        }
    }

    @Test
    void sentimentsShouldBeatChanceAgainstTheTrueLabels() {
        long correct =
                sentiments.stream()
                        .map(r -> Json.sentiment(r.value()))
                        .filter(s -> s.label().equals("positive") == truth.get(s.reviewId()))
                        .count();
        assertThat(correct / (double) truth.size()).isGreaterThanOrEqualTo(0.6);
    }
}
