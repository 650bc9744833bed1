package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sentiflow.job.EmbeddedKafkaExtension;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.job.TestModel;
import io.sentiflow.job.Topics;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job started against a broker without its topics fails at once with what to do; {@code sentiflow
 * topics create} makes them as the job expects, and then the job runs.
 */
class TopicsCommandTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(1)
                            .build());

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** The job's settings with topics named {@code prefix-…}, as command-line arguments. */
    private static List<String> jobArgs(String prefix) {
        List<String> args = new ArrayList<>();
        Map<String, String> topics =
                Map.of(
                        JobConfig.TOPIC_REVIEWS, prefix + "-reviews",
                        JobConfig.TOPIC_SENTIMENTS, prefix + "-sentiments",
                        JobConfig.TOPIC_DEAD_LETTERS, prefix + "-dlq",
                        JobConfig.TOPIC_HEALTH, prefix + "-health",
                        JobConfig.TOPIC_LABELS, prefix + "-labels",
                        JobConfig.TOPIC_SAMPLES, prefix + "-samples",
                        JobConfig.TOPIC_CONTROL, prefix + "-control",
                        JobConfig.TOPIC_ROUTING, prefix + "-routing");
        topics.forEach((key, value) -> args.addAll(List.of("--" + key, value)));
        args.addAll(List.of("--" + JobConfig.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers()));
        return args;
    }

    private static JobConfig config(List<String> args) throws Exception {
        List<String> all = new ArrayList<>(args);
        all.addAll(
                List.of(
                        "--" + JobConfig.MODEL_PATH,
                        TestModel.directory().toString(),
                        "--" + JobConfig.DEVICE,
                        "cpu",
                        "--" + JobConfig.BOUNDED,
                        "true",
                        "--" + JobConfig.PARALLELISM,
                        "1",
                        "--" + JobConfig.CHECKPOINT_INTERVAL_MS,
                        "500"));
        return JobConfig.fromArgs(all.toArray(String[]::new));
    }

    @Test
    void aMissingTopicShouldFailTheStartWithWhatToDoAndTopicsCreateShouldLetTheJobRun()
            throws Exception {
        List<String> args = jobArgs("fresh");
        JobConfig config = config(args);
        assertThatThrownBy(() -> SentimentJob.fromConfig(config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the job's Kafka topics are missing")
                .hasMessageContaining("fresh-reviews (topic.reviews)")
                .hasMessageContaining("fresh-control (topic.control)")
                .hasMessageContaining("sentiflow topics create");
        List<String> job = new ArrayList<>(List.of("job"));
        job.addAll(args);
        job.addAll(List.of("--" + JobConfig.MODEL_PATH, TestModel.directory().toString()));
        ConsoleCapture.Result refused = ConsoleCapture.run(job.toArray(String[]::new));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("topics are missing", "fresh-sentiments");

        List<String> describe = new ArrayList<>(List.of("topics", "describe"));
        describe.addAll(args);
        ConsoleCapture.Result missing = ConsoleCapture.run(describe.toArray(String[]::new));
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.out()).contains("fresh-reviews\tMISSING");

        List<String> create = new ArrayList<>(List.of("topics", "create", "--partitions", "2"));
        create.addAll(args);
        ConsoleCapture.Result created = ConsoleCapture.run(create.toArray(String[]::new));
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).contains("created fresh-reviews", "created fresh-control");
        ConsoleCapture.Result again = ConsoleCapture.run(create.toArray(String[]::new));
        assertThat(again.out()).contains("exists  fresh-reviews");
        ConsoleCapture.Result described = ConsoleCapture.run(describe.toArray(String[]::new));
        assertThat(described.exitCode()).isZero();
        assertThat(described.out()).doesNotContain("MISSING", "suggested");

        try (Admin admin = KAFKA.admin()) {
            Map<String, TopicDescription> topics =
                    admin.describeTopics(List.of("fresh-reviews", "fresh-control"))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS);
            assertThat(topics.get("fresh-reviews").partitions()).hasSize(2);
            assertThat(topics.get("fresh-control").partitions()).hasSize(1);
            ConfigResource reviews = new ConfigResource(ConfigResource.Type.TOPIC, "fresh-reviews");
            ConfigResource control = new ConfigResource(ConfigResource.Type.TOPIC, "fresh-control");
            var configs =
                    admin.describeConfigs(List.of(reviews, control))
                            .all()
                            .get(30, TimeUnit.SECONDS);
            assertThat(configs.get(reviews).get("message.timestamp.type").value())
                    .isEqualTo("LogAppendTime");
            assertThat(configs.get(control).get("retention.ms").value()).isEqualTo("-1");
        }

        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(KAFKA.bootstrapServers(), new Properties())) {
            for (int i = 0; i < 20; i++) {
                producer.send(
                        new ProducerRecord<>(
                                "fresh-reviews",
                                Json.toBytes(Review.of("r-" + i, "a fine film, number " + i))));
            }
        }
        SentimentJob.fromConfig(config)
                .execute(StreamExecutionEnvironment.getExecutionEnvironment());
        assertThat(
                        KafkaClients.readUntil(
                                KAFKA.bootstrapServers(),
                                "fresh-sentiments",
                                r -> r.size() >= 20,
                                Duration.ofSeconds(30)))
                .hasSize(20);
    }

    @Test
    void anOutputTopicThatRefusesTheJobsLargestRecordShouldFailTheStart() throws Exception {
        List<String> args = jobArgs("small");
        List<String> create = new ArrayList<>(List.of("topics", "create"));
        create.addAll(args);
        assertThat(ConsoleCapture.run(create.toArray(String[]::new)).exitCode()).isZero();
        try (Admin admin = KAFKA.admin()) {
            ConfigResource dlq = new ConfigResource(ConfigResource.Type.TOPIC, "small-dlq");
            admin.incrementalAlterConfigs(
                            Map.of(
                                    dlq,
                                    List.of(
                                            new AlterConfigOp(
                                                    new ConfigEntry("max.message.bytes", "100000"),
                                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        JobConfig config = config(args);
        assertThatThrownBy(() -> SentimentJob.fromConfig(config))
                .hasMessageContaining("small-dlq (max.message.bytes 100000)")
                .hasMessageContaining("output.max-record-bytes 1048576");
        Map<String, String> smaller = new HashMap<>();
        smaller.put(JobConfig.OUTPUT_MAX_RECORD_BYTES, "90000");
        smaller.put(JobConfig.DEAD_LETTERS_MAX_VALUE_BYTES, "50000");
        SentimentJob.fromConfig(config.with(smaller));
    }

    private static String acls(String role, String principal) {
        List<String> args =
                new ArrayList<>(
                        List.of("topics", "acls", "--role", role, "--principal", principal));
        args.addAll(jobArgs("acl"));
        java.io.StringWriter out = new java.io.StringWriter();
        var line = Sentiflow.commandLine();
        line.setOut(new java.io.PrintWriter(out));
        assertThat(line.execute(args.toArray(String[]::new))).isZero();
        return out.toString();
    }

    @Test
    void aclsShouldGiveEachRoleExactlyWhatItNeedsFromTheJobsOwnNames() {
        String job = acls("job", "User:sentiflow");
        assertThat(job)
                .contains("--allow-principal User:sentiflow --operation Read --topic acl-reviews")
                .contains("--operation Read --topic acl-control")
                .contains("--operation Write --topic acl-sentiments")
                .contains(
                        "--operation Write --transactional-id sentiflow --resource-pattern-type prefixed")
                .contains("--operation Read --group sentiflow --resource-pattern-type prefixed")
                // Its automatic canary decisions go to the control topic like a person's.
                .contains("--operation Write --topic acl-control")
                .doesNotContain("--operation Write --topic acl-reviews");
        String producer = acls("producer", "User:shop");
        assertThat(producer)
                .contains("--operation Write --topic acl-reviews")
                .contains("--operation Write --topic acl-labels")
                .doesNotContain("acl-control")
                .doesNotContain("--operation Read");
        assertThat(acls("operator", "User:ops"))
                .contains("--operation Write --topic acl-control")
                .doesNotContain("acl-reviews");
        assertThat(acls("dashboard", "User:grafana"))
                .contains("--operation Read --topic acl-health")
                .doesNotContain("--operation Write");
        assertThat(
                        Sentiflow.commandLine()
                                .execute(
                                        "topics",
                                        "acls",
                                        "--role",
                                        "job",
                                        "--principal",
                                        "sentiflow",
                                        "--model.path",
                                        "x"))
                .as("a principal without its type is refused")
                .isNotZero();
    }

    @Test
    void anAgeLimitOnCommandsShouldNeedTheBrokersClockOnTheControlTopic() throws Exception {
        List<String> args = jobArgs("clock");
        JobConfig config = config(args);
        // Every topic there, the control topic with producers' timestamps (CreateTime).
        KAFKA.createTopics(1, Topics.of(config, 1).stream().map(Topics.Spec::name).toList());
        List<String> limited = new ArrayList<>(args);
        limited.addAll(List.of("--" + JobConfig.CONTROL_MAX_AGE_MS, "60000"));
        assertThatThrownBy(() -> SentimentJob.fromConfig(config(limited)))
                .hasMessageContaining("LogAppendTime")
                .hasMessageContaining("clock-control");
        // Without the limit the same topics do.
        assertThat(SentimentJob.fromConfig(config)).isNotNull();
    }
}
