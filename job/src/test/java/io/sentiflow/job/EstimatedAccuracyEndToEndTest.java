package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.MrReader;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Labels;
import io.sentiflow.schemas.ModelHealth;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.SchemaValidator;
import io.sentiflow.schemas.Schemas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Accuracy without labels: with calibrated scores the mean of max(p, 1 − p) follows the measured
 * accuracy on reviews like the training ones and falls, with an alert, when the model is unsure —
 * and misses a shift that leaves the model sure of itself (MR sentences), which drift catches.
 */
class EstimatedAccuracyEndToEndTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = StreamingFixture.clusterWithRestarts();

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** Scores {@code texts} (labels sent along) in one bounded run; its health records. */
    private static List<ModelHealth> score(String name, List<LabeledText> texts) throws Exception {
        StreamingFixture fixture = new StreamingFixture(KAFKA, name);
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(KAFKA.bootstrapServers(), new Properties())) {
            for (int i = 0; i < texts.size(); i++) {
                String id = name + "-" + i;
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(
                                        new Review(
                                                id,
                                                texts.get(i).text(),
                                                texts.get(i).positive()
                                                        ? Labels.POSITIVE
                                                        : Labels.NEGATIVE,
                                                "test",
                                                null))));
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        // One window for the whole run: the estimate is compared over thousands of reviews.
        SentimentJob.fromConfig(
                        fixture.config(
                                Map.of(
                                        JobConfig.BOUNDED, "true",
                                        JobConfig.HEALTH_WINDOW_MS, "3600000",
                                        JobConfig.DELIVERY, "at-least-once")))
                .execute(env);
        SchemaValidator validator = new SchemaValidator();
        List<ConsumerRecord<byte[], byte[]>> records =
                KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        fixture.health,
                        r -> false,
                        Duration.ofSeconds(5));
        records.forEach(
                r -> assertThat(validator.validate(Schemas.MODEL_HEALTH_V1, r.value())).isEmpty());
        return records.stream()
                .map(r -> Json.modelHealth(r.value()))
                .filter(h -> h.reviewsScored() > 0)
                .toList();
    }

    private static String firstWords(String text, int n) {
        String[] words = text.split("\\s+");
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(n, words.length)));
    }

    @Test
    void theEstimateShouldFollowTheAccuracyFallWhenTheModelIsUnsureAndMissWhatItCannotSee()
            throws Exception {
        ModelConfig model = ModelConfig.read(TestModel.directory());
        assertThat(model.temperature()).as("the test model is calibrated").isNotNull();

        List<ModelHealth> imdb = score("cbpe-imdb", TestModel.imdb().sample("test", 3000, 83));
        assertThat(imdb).as("one window").singleElement();
        ModelHealth window = imdb.get(0);
        assertThat(window.labelled()).isGreaterThanOrEqualTo(1000);
        assertThat(window.estimatedAccuracy())
                .as("estimated %s, measured %s", window.estimatedAccuracy(), window.accuracy())
                .isCloseTo(window.accuracy(), org.assertj.core.api.Assertions.within(0.02));
        assertThat(window.referenceAccuracy()).isNotNull();
        assertThat(window.alerts()).doesNotContain("estimated-accuracy");

        Path mrFolder = TestModel.imdb().directory().getParent().resolve("mr");
        List<LabeledText> all = new java.util.ArrayList<>(MrReader.read(mrFolder));
        java.util.Collections.shuffle(all, new java.util.Random(85));
        List<LabeledText> sentences = all.subList(0, 2000);
        ModelHealth mr = score("cbpe-mr", sentences).get(0);
        List<LabeledText> opening =
                TestModel.imdb().sample("test", 2000, 84).stream()
                        .map(r -> new LabeledText(firstWords(r.text(), 2), r.positive()))
                        .toList();
        ModelHealth shortened = score("cbpe-short", opening).get(0);
        // Two words of each review: little evidence, so the model is unsure — the estimate falls
        // with the accuracy, and the alert fires.
        assertThat(shortened.estimatedAccuracy())
                .isLessThan(window.estimatedAccuracy() - 0.05)
                .isCloseTo(shortened.accuracy(), org.assertj.core.api.Assertions.within(0.05));
        assertThat(shortened.alerts()).contains("estimated-accuracy");
        // Where it fails: on MR's short sentences this model is as sure as on reviews (more, even)
        // while its accuracy collapses; the estimate cannot see that, the drift alert does.
        assertThat(mr.estimatedAccuracy() - mr.accuracy())
                .as("MR: estimated %s, measured %s", mr.estimatedAccuracy(), mr.accuracy())
                .isGreaterThan(0.1);
        assertThat(mr.alerts()).contains("drift").doesNotContain("estimated-accuracy");
    }
}
