package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelRouting;
import io.sentiflow.schemas.SchemaValidator;
import io.sentiflow.schemas.Schemas;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh start (no checkpoint, no savepoint) continues from the routing the last run recorded on
 * the routing topic, and never judges the old command log again against today's registry.
 */
class RoutingRestoreEndToEndTest {
    private static final String V1 = "textcnn-test@1";
    private static final String V2 = "textcnn-test@2";
    private static final String V3 = "textcnn-test@3";

    @RegisterExtension
    static final MiniClusterExtension FLINK = StreamingFixture.clusterWithRestarts();

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static void command(StreamingFixture fixture, String id, String version)
            throws Exception {
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(KAFKA.bootstrapServers(), new Properties())) {
            producer.send(
                            new ProducerRecord<>(
                                    fixture.control,
                                    "routing".getBytes(StandardCharsets.UTF_8),
                                    Json.toBytes(
                                            new ModelControl(
                                                    id,
                                                    ModelControl.Action.DEPLOY,
                                                    version,
                                                    null,
                                                    "test",
                                                    System.currentTimeMillis()))))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** Runs the job from now on, scores {@code count} new reviews {@code prefix-i}, cancels it. */
    private static Map<String, String> run(
            StreamingFixture fixture,
            Map<String, String> settings,
            String prefix,
            List<LabeledText> texts,
            Runnable whileRunning)
            throws Exception {
        Map<String, String> values = new HashMap<>(settings);
        values.put(JobConfig.STARTING_OFFSETS, "timestamp:" + System.currentTimeMillis());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient job = SentimentJob.fromConfig(fixture.config(values)).executeAsync(env);
        try {
            whileRunning.run();
            fixture.produce(texts, prefix, 0);
            Map<String, String> versions = new HashMap<>();
            KafkaClients.readUntil(
                            KAFKA.bootstrapServers(),
                            fixture.sentiments,
                            r -> count(r, prefix) >= texts.size(),
                            Duration.ofSeconds(90))
                    .forEach(
                            r -> {
                                Sentiment s = Json.sentiment(r.value());
                                if (s.reviewId().startsWith(prefix + "-")) {
                                    versions.put(s.reviewId(), s.modelVersion());
                                }
                            });
            assertThat(versions).as("reviews %s scored", prefix).hasSize(texts.size());
            return versions;
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    private static long count(List<ConsumerRecord<byte[], byte[]>> records, String prefix) {
        return records.stream()
                .map(r -> Json.sentiment(r.value()).reviewId())
                .filter(id -> id.startsWith(prefix + "-"))
                .distinct()
                .count();
    }

    private static List<ModelRouting> routings(String topic, int atLeast) {
        return KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        topic,
                        r -> r.size() >= atLeast,
                        Duration.ofSeconds(60))
                .stream()
                .map(r -> Json.modelRouting(r.value()))
                .toList();
    }

    @Test
    void aFreshStartShouldContinueFromTheRecordedRoutingNotJudgeTheCommandLogAgain(
            @TempDir Path root) throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        registry.publish(TestModel.directory());
        registry.publish(TestModel.version2());
        StreamingFixture fixture = new StreamingFixture(KAFKA, "restore");
        Map<String, String> settings =
                Map.of(
                        JobConfig.REGISTRY_ROOT,
                        root.toString(),
                        JobConfig.MODEL_VERSION,
                        V1,
                        JobConfig.HEALTH_WINDOW_MS,
                        "500");
        List<LabeledText> texts = TestModel.imdb().sample("test", 240, 71);

        // Run 1: version 2 is deployed; version 3 is refused, for it is not in the registry yet.
        Map<String, String> first =
                run(
                        fixture,
                        settings,
                        "first",
                        texts.subList(0, 60),
                        () -> {
                            try {
                                command(fixture, "deploy-2", V2);
                                command(fixture, "deploy-3-too-early", V3);
                                routings(fixture.routing, 2);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        assertThat(first).allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
        List<ModelRouting> recorded = routings(fixture.routing, 2);
        SchemaValidator validator = new SchemaValidator();
        recorded.forEach(
                r ->
                        assertThat(validator.validate(Schemas.MODEL_ROUTING_V1, Json.toBytes(r)))
                                .isEmpty());
        ModelRouting last = recorded.get(recorded.size() - 1);
        assertThat(last.production()).isEqualTo(V2);
        assertThat(last.previous()).containsExactly(V1);
        assertThat(last.controlOffset()).as("both commands judged").isEqualTo(1);
        assertThat(last.commandId()).isEqualTo("deploy-3-too-early");

        // Version 3 appears afterwards.
        registry.publish(TestModel.version3());

        // The hazard: a fresh start that judges the whole log again applies the old command now.
        KAFKA.createTopics(1, List.of("restore-routing-contrast"));
        Map<String, String> replaying = new HashMap<>(settings);
        replaying.put(JobConfig.ROUTING_RESTORE, "false");
        replaying.put(JobConfig.TOPIC_ROUTING, "restore-routing-contrast");
        Map<String, String> contrast =
                run(
                        fixture,
                        replaying,
                        "replayed",
                        texts.subList(60, 120),
                        () -> routings("restore-routing-contrast", 2));
        assertThat(contrast).allSatisfy((id, v) -> assertThat(v).isEqualTo(V3));

        // Run 2, a fresh start with the routing restored: version 2, and the old refusal stands.
        Map<String, String> second =
                run(fixture, settings, "second", texts.subList(120, 180), () -> {});
        assertThat(second).allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
        // New commands still apply after the restore.
        Map<String, String> third =
                run(
                        fixture,
                        settings,
                        "third",
                        texts.subList(180, 240),
                        () -> {
                            try {
                                command(fixture, "deploy-3-now", V3);
                                routings(fixture.routing, recorded.size() + 1);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        assertThat(third).allSatisfy((id, v) -> assertThat(v).isEqualTo(V3));

        List<DeadLetter> letters =
                KafkaClients.readUntil(
                                KAFKA.bootstrapServers(),
                                fixture.deadLetters,
                                r -> false,
                                Duration.ofSeconds(3))
                        .stream()
                        .map(r -> Json.deadLetter(r.value()))
                        .toList();
        assertThat(letters)
                .as("the refusal of run 1, once: run 2 did not judge the command again")
                .singleElement()
                .satisfies(
                        l ->
                                assertThat(l.reason())
                                        .isEqualTo(DeadLetter.Reason.UNKNOWN_MODEL_VERSION));
    }
}
