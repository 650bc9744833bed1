package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.job.EmbeddedKafkaExtension;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.RoutingTable;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.job.StreamingFixture;
import io.sentiflow.job.TestModel;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.ModelFiles;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelHealth;
import io.sentiflow.schemas.SchemaValidator;
import io.sentiflow.schemas.Schemas;
import io.sentiflow.schemas.Sentiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live traffic control, end to end: two real models in a registry, the job at parallelism 2 on a
 * mini cluster with a real broker, commands sent with {@code sentiflow control} while reviews flow.
 */
class ModelRoutingEndToEndTest {
    private static final String V1 = "textcnn-test@1";
    private static final String V2 = "textcnn-test@2";
    private static final String V3 = "textcnn-test@3";

    @RegisterExtension
    static final MiniClusterExtension FLINK = StreamingFixture.clusterWithRestarts();

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void deployCanaryShadowAndRefusalsShouldChangeRoutingLiveAndSurviveAFailure(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path root) throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        registry.publish(TestModel.directory());
        registry.publish(TestModel.version2());
        Path v3 = registry.publish(TestModel.version3()).directory();
        Files.writeString(ModelFiles.vocabulary(v3), "tampered\n", StandardOpenOption.APPEND);

        StreamingFixture fixture = new StreamingFixture(KAFKA, "routing");
        JobConfig config =
                fixture.config(
                        Map.of(
                                JobConfig.REGISTRY_ROOT,
                                root.toString(),
                                JobConfig.MODEL_VERSION,
                                V1,
                                JobConfig.HEALTH_WINDOW_MS,
                                "500"));
        List<LabeledText> texts = TestModel.imdb().sample("test", 3200, 61);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient job = SentimentJob.fromConfig(config).executeAsync(env);

        // 1. Production only.
        fixture.produceTracked(texts.subList(0, 600), "prod", 0);
        assertThat(fixture.committedSentiments(600, Duration.ZERO, Duration.ofSeconds(90)))
                .hasSizeGreaterThanOrEqualTo(600);

        // 2. A 30 % canary; sticky by id.
        control(fixture, "canary", V2, "--weight", "30");
        awaitHealth(fixture, h -> h.routing() != null && V2.equals(h.routing().canary()));
        fixture.produceTracked(texts.subList(600, 1600), "canary", 0);
        assertThat(fixture.committedSentiments(1600, Duration.ZERO, Duration.ofSeconds(90)))
                .as("the canary phase is scored before the deploy phase starts")
                .hasSizeGreaterThanOrEqualTo(1600);

        // 3. Deploy mid-stream.
        Map<String, StreamingFixture.Position> deployPhase = new HashMap<>();
        Thread producer =
                new Thread(
                        () ->
                                deployPhase.putAll(
                                        fixture.produceTracked(
                                                texts.subList(1600, 2600), "deploy", 400)));
        producer.start();
        StreamingFixture.sleepMillis(1000);
        control(fixture, "deploy", V2);
        producer.join();

        // 4. A tampered version is refused; version 1 becomes the shadow.
        control(fixture, "deploy", V3);
        control(fixture, "shadow", V1);
        awaitHealth(fixture, h -> h.routing() != null && V1.equals(h.routing().shadow()));

        assertThat(StreamingFixture.recordedFailures(cluster, job.getJobID()))
                .as("routing changes and refusals never restarted the job")
                .isZero();

        // 5. A task manager dies; the job must come back with the same routing.
        cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
        cluster.startTaskManager();
        fixture.produceTracked(texts.subList(2600, 3200), "after-failure", 300);

        List<Sentiment> sentiments =
                fixture.committedSentiments(
                        texts.size(), Duration.ofSeconds(3), Duration.ofSeconds(180));
        job.cancel().get(30, TimeUnit.SECONDS);

        Map<String, String> versions = new HashMap<>();
        for (Sentiment sentiment : sentiments) {
            assertThat(versions.put(sentiment.reviewId(), sentiment.modelVersion()))
                    .as("one sentiment per review, %s", sentiment.reviewId())
                    .isNull();
        }
        assertThat(versions).as("every review scored").hasSize(texts.size());

        assertPhase(versions, "prod-", v -> v.equals(V1));
        List<String> canary = ids(versions, "canary-");
        canary.forEach(
                id ->
                        assertThat(versions.get(id))
                                .as(id)
                                .isEqualTo(RoutingTable.bucket(id) < 30 ? V2 : V1));
        double share = canary.stream().filter(id -> versions.get(id).equals(V2)).count() / 1000.0;
        assertThat(share).as("observed canary share").isBetween(0.25, 0.35);

        // Per partition, in offset order: canary routing until the deploy, then version 2 only.
        Map<Integer, List<String>> byPartition = new HashMap<>();
        deployPhase.entrySet().stream()
                .sorted(Comparator.comparingLong(e -> e.getValue().offset()))
                .forEach(
                        e ->
                                byPartition
                                        .computeIfAbsent(
                                                e.getValue().partition(), p -> new ArrayList<>())
                                        .add(e.getKey()));
        int afterSwitch = 0;
        for (List<String> ordered : byPartition.values()) {
            int lastV1 = -1;
            for (int i = 0; i < ordered.size(); i++) {
                if (versions.get(ordered.get(i)).equals(V1)) {
                    lastV1 = i;
                }
            }
            for (int i = 0; i <= lastV1; i++) {
                String id = ordered.get(i);
                assertThat(versions.get(id))
                        .as("%s, before the deploy took effect", id)
                        .isEqualTo(RoutingTable.bucket(id) < 30 ? V2 : V1);
            }
            afterSwitch += ordered.size() - lastV1 - 1;
        }
        assertThat(afterSwitch).as("reviews after the deploy took effect").isGreaterThan(100);
        assertThat(afterSwitch).as("reviews before it").isLessThan(1000);

        assertPhase(versions, "after-failure-", v -> v.equals(V2));

        List<DeadLetter> letters =
                KafkaClients.readUntil(
                                KAFKA.bootstrapServers(),
                                fixture.deadLetters,
                                r -> !r.isEmpty(),
                                Duration.ofSeconds(30))
                        .stream()
                        .map(r -> Json.deadLetter(r.value()))
                        .toList();
        assertThat(letters)
                .singleElement()
                .satisfies(
                        letter -> {
                            assertThat(letter.reason()).isEqualTo(DeadLetter.Reason.MODEL_REFUSED);
                            assertThat(letter.sourceTopic()).isEqualTo(fixture.control);
                            assertThat(letter.message()).contains("checksum mismatch");
                        });

        List<ModelHealth> health = health(fixture);
        SchemaValidator validator = new SchemaValidator();
        for (ConsumerRecord<byte[], byte[]> record : healthRecords(fixture)) {
            assertThat(validator.validate(Schemas.MODEL_HEALTH_V1, record.value())).isEmpty();
        }
        assertThat(health)
                .filteredOn(h -> h.modelVersion().equals(V3))
                .flatMap(h -> h.modelEvents() == null ? List.of() : h.modelEvents())
                .anySatisfy(e -> assertThat(e.type()).isEqualTo("REFUSED"));
        assertThat(health)
                .filteredOn(h -> h.modelVersion().equals(V1) && h.shadow() != null)
                .isNotEmpty()
                .allSatisfy(
                        h -> {
                            assertThat(h.role()).isEqualTo("shadow");
                            assertThat(h.shadow().comparedWith()).containsExactly(V2);
                            assertThat(h.shadow().compared()).isPositive();
                            assertThat(h.shadow().agreementRate()).isBetween(0.0, 1.0);
                            assertThat(h.shadow().meanScoreDifference())
                                    .as("two distinct models")
                                    .isBetween(1e-6, 1.0);
                            assertThat(h.reviewsScored()).isZero();
                        });
        assertThat(health)
                .filteredOn(h -> h.modelVersion().equals(V2))
                .flatMap(h -> h.modelEvents() == null ? List.of() : h.modelEvents())
                .filteredOn(e -> e.type().equals("LOADED"))
                .extracting(ModelHealth.ModelEvent::subtask)
                .contains(0, 1);
    }

    private static List<String> ids(Map<String, String> versions, String prefix) {
        List<String> ids =
                versions.keySet().stream().filter(id -> id.startsWith(prefix)).sorted().toList();
        assertThat(ids).as(prefix).isNotEmpty();
        return ids;
    }

    private static void assertPhase(
            Map<String, String> versions, String prefix, Predicate<String> expected) {
        for (String id : ids(versions, prefix)) {
            assertThat(expected.test(versions.get(id)))
                    .as("%s scored by %s", id, versions.get(id))
                    .isTrue();
        }
    }

    private static void control(StreamingFixture fixture, String... args) {
        String[] command = controlArgs(fixture, args);
        assertThat(Sentiflow.commandLine().execute(command))
                .as("sentiflow %s", List.of(command))
                .isZero();
    }

    private static List<ConsumerRecord<byte[], byte[]>> healthRecords(StreamingFixture fixture) {
        return KafkaClients.readUntil(
                KAFKA.bootstrapServers(), fixture.health, r -> false, Duration.ofSeconds(3));
    }

    private static List<ModelHealth> health(StreamingFixture fixture) {
        return healthRecords(fixture).stream().map(r -> Json.modelHealth(r.value())).toList();
    }

    private static void awaitHealth(StreamingFixture fixture, Predicate<ModelHealth> seen) {
        List<ConsumerRecord<byte[], byte[]>> records =
                KafkaClients.readUntil(
                        KAFKA.bootstrapServers(),
                        fixture.health,
                        r -> r.stream().map(x -> Json.modelHealth(x.value())).anyMatch(seen),
                        Duration.ofSeconds(60));
        assertThat(records.stream().map(x -> Json.modelHealth(x.value())).anyMatch(seen))
                .as("a health record showed the routing change")
                .isTrue();
    }

    /** {@code sentiflow models publish --sign-key KEY} of each model into the registry. */
    private static void publishSigned(String registry, String key, Path... models) {
        for (Path model : models) {
            assertThat(
                            sentiflow(
                                    "models",
                                    "publish",
                                    registry,
                                    "--sign-key",
                                    key,
                                    model.toString()))
                    .as("publish %s", model)
                    .isZero();
        }
    }

    private static int sentiflow(String... args) {
        return Sentiflow.commandLine().execute(args);
    }

    /** {@code sentiflow control ARGS} against the fixture's topic, issued by "routing-test". */
    private static String[] controlArgs(StreamingFixture fixture, String... args) {
        List<String> command = new ArrayList<>(List.of("control"));
        command.addAll(List.of(args));
        command.addAll(
                List.of(
                        "--bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--topic",
                        fixture.control,
                        "--issued-by",
                        "routing-test"));
        return command.toArray(String[]::new);
    }

    @Test
    void withTrustedKeysOnlySignedCommandsForSignedVersionsShouldChangeRouting(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path work) throws Exception {
        Path keys = work.resolve("keys");
        Path elsewhere = work.resolve("elsewhere");
        Path root = work.resolve("registry");
        assertThat(sentiflow("keys", "generate", "ops", "--dir", keys.toString())).isZero();
        assertThat(sentiflow("keys", "generate", "intruder", "--dir", elsewhere.toString()))
                .isZero();
        String ops = keys.resolve("ops.key").toString();
        String registry = "--registry=" + root;
        publishSigned(registry, ops, TestModel.directory(), TestModel.version3());
        assertThat(sentiflow("models", "publish", registry, TestModel.version2().toString()))
                .isZero();
        // The CLI judges as the job will: version 2 is not signed by a trusted key.
        String trusted = "--trusted-keys=" + keys;
        assertThat(sentiflow("models", "verify", registry, trusted, V1)).isZero();
        assertThat(sentiflow("models", "verify", registry, trusted, V2)).isOne();

        StreamingFixture fixture = new StreamingFixture(KAFKA, "signed");
        JobConfig config =
                fixture.config(
                        Map.of(
                                JobConfig.REGISTRY_ROOT,
                                root.toString(),
                                JobConfig.MODEL_VERSION,
                                V1,
                                JobConfig.REGISTRY_TRUSTED_KEYS,
                                keys.toString(),
                                JobConfig.CONTROL_TRUSTED_KEYS,
                                keys.resolve("ops.pub").toString(),
                                JobConfig.CONTROL_MAX_AGE_MS,
                                "60000",
                                JobConfig.HEALTH_WINDOW_MS,
                                "500"));
        List<LabeledText> texts = TestModel.imdb().sample("test", 400, 67);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient job = SentimentJob.fromConfig(config).executeAsync(env);
        try {
            fixture.produceTracked(texts.subList(0, 200), "before", 0);
            assertThat(fixture.committedSentiments(200, Duration.ZERO, Duration.ofSeconds(90)))
                    .hasSizeGreaterThanOrEqualTo(200);
            assertThat(sentiflow(controlArgs(fixture, "deploy", V3))).isZero();
            assertThat(
                            sentiflow(
                                    controlArgs(
                                            fixture,
                                            "deploy",
                                            V3,
                                            "--sign-key",
                                            elsewhere.resolve("intruder.key").toString())))
                    .isZero();
            assertThat(sentiflow(controlArgs(fixture, "deploy", V2, "--sign-key", ops))).isZero();
            assertThat(sentiflow(controlArgs(fixture, "deploy", V3, "--sign-key", ops))).isZero();
            awaitHealth(fixture, h -> h.routing() != null && V3.equals(h.routing().production()));
            fixture.produceTracked(texts.subList(200, 400), "after", 0);
            List<Sentiment> sentiments =
                    fixture.committedSentiments(400, Duration.ofSeconds(1), Duration.ofSeconds(90));
            Map<String, String> versions = new HashMap<>();
            sentiments.forEach(s -> versions.put(s.reviewId(), s.modelVersion()));
            assertThat(versions).hasSize(400);
            assertPhase(versions, "before-", v -> v.equals(V1));
            assertPhase(versions, "after-", v -> v.equals(V3));

            List<DeadLetter> letters =
                    KafkaClients.readUntil(
                                    KAFKA.bootstrapServers(),
                                    fixture.deadLetters,
                                    r -> r.size() >= 3,
                                    Duration.ofSeconds(30))
                            .stream()
                            .map(r -> Json.deadLetter(r.value()))
                            .toList();
            assertThat(letters)
                    .extracting(DeadLetter::reason)
                    .containsExactly(
                            DeadLetter.Reason.COMMAND_UNSIGNED,
                            DeadLetter.Reason.COMMAND_BAD_SIGNATURE,
                            DeadLetter.Reason.MODEL_REFUSED);
            assertThat(letters.get(2).message()).contains("not signed");
            // The issuer is the key that signed, not what --issued-by said.
            assertThat(health(fixture))
                    .flatMap(h -> h.modelEvents() == null ? List.of() : h.modelEvents())
                    .filteredOn(e -> e.type().equals("ROUTED") && e.commandId() != null)
                    .isNotEmpty()
                    .allSatisfy(e -> assertThat(e.issuedBy()).isEqualTo("ops"));
            assertThat(StreamingFixture.recordedFailures(cluster, job.getJobID())).isZero();
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anAutomaticCanaryShouldBeDecidedByTheJobAndSignedWithItsOwnKey(@TempDir Path work)
            throws Exception {
        Path keys = work.resolve("keys");
        Path root = work.resolve("registry");
        assertThat(sentiflow("keys", "generate", "ops", "--dir", keys.toString())).isZero();
        assertThat(sentiflow("keys", "generate", "job", "--dir", keys.toString())).isZero();
        String ops = keys.resolve("ops.key").toString();
        String registry = "--registry=" + root;
        publishSigned(registry, ops, TestModel.directory(), TestModel.version3());
        StreamingFixture fixture = new StreamingFixture(KAFKA, "auto-signed");
        JobConfig config =
                fixture.config(
                        Map.of(
                                JobConfig.REGISTRY_ROOT,
                                root.toString(),
                                JobConfig.MODEL_VERSION,
                                V1,
                                JobConfig.CONTROL_TRUSTED_KEYS,
                                keys.toString(),
                                JobConfig.CONTROL_SIGN_KEY,
                                keys.resolve("job.key").toString(),
                                JobConfig.CONTROL_MAX_AGE_MS,
                                "60000",
                                JobConfig.HEALTH_WINDOW_MS,
                                "500"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient job = SentimentJob.fromConfig(config).executeAsync(env);
        try {
            // Unlabelled reviews: the tiny version 3 scores unlike version 1, and nothing says
            // it is right, so the proxies fail its windows until it is rolled back.
            assertThat(
                            sentiflow(
                                    controlArgs(
                                            fixture,
                                            "canary",
                                            V3,
                                            "--weight",
                                            "50",
                                            "--auto",
                                            "--min-compared",
                                            "200",
                                            "--max-failed-windows",
                                            "2",
                                            "--command-id",
                                            "auto-3",
                                            "--sign-key",
                                            ops)))
                    .isZero();
            fixture.produce(TestModel.imdb().sample("test", 1500, 69), "auto", 150);
            List<io.sentiflow.schemas.ModelControl> commands =
                    KafkaClients.readUntil(
                                    KAFKA.bootstrapServers(),
                                    fixture.control,
                                    r -> r.size() >= 2,
                                    Duration.ofSeconds(60))
                            .stream()
                            .map(r -> Json.modelControl(r.value()))
                            .toList();
            assertThat(commands).hasSize(2);
            io.sentiflow.schemas.ModelControl decision = commands.get(1);
            assertThat(decision.action())
                    .isEqualTo(io.sentiflow.schemas.ModelControl.Action.CLEAR_CANARY);
            assertThat(decision.decides()).isEqualTo("auto-3");
            assertThat(decision.signature()).isNotNull();
            assertThat(decision.reason()).contains("psi").contains("fail");
            // Applied as signed by the job's key: its name is the issuer.
            awaitHealth(
                    fixture,
                    h ->
                            h.modelEvents() != null
                                    && h.modelEvents().stream()
                                            .anyMatch(
                                                    e ->
                                                            e.type().equals("ROUTED")
                                                                    && decision.commandId()
                                                                            .equals(e.commandId())
                                                                    && "job".equals(e.issuedBy())));
            ModelHealth.CanaryAnalysis decided =
                    health(fixture).stream()
                            .map(ModelHealth::canaryAnalysis)
                            .filter(a -> a != null && "rollback".equals(a.verdict()))
                            .findFirst()
                            .orElseThrow();
            assertThat(decided.failedWindows()).isEqualTo(2);
            assertThat(decided.criteria())
                    .filteredOn(c -> c.name().equals("psi"))
                    .singleElement()
                    .satisfies(c -> assertThat(c.outcome()).isEqualTo("fail"));
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
