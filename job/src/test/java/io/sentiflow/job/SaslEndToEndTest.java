package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a broker that demands SASL/PLAIN and authorizes, with credentials from a file.
 */
class SaslEndToEndTest {
    private static final String PASSWORD = "s3cr3t-Pa55word-42";

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @Test
    void theJobShouldScoreOverSaslAsALeastPrivilegePrincipalAndNeverLogThePassword(
            @TempDir Path dir) throws Exception {
        Map<String, String> users = new LinkedHashMap<>();
        users.put("admin", "admin-only-pw");
        users.put("sentiflow", PASSWORD);
        users.put("producer", "producer-pw");
        users.put("operator", "operator-pw");
        users.put("nobody", "nobody-pw");
        List<String> logLines = new CopyOnWriteArrayList<>();
        // Only the admin is a super user: the job runs with exactly the ACLs KafkaAcls gives it.
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithSaslPlain(users, List.of());
                LogCapture capture = new LogCapture(logLines)) {
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
            assertClientsWithoutTheRightCredentialsAreRefused(kafka.bootstrapServers());
            JobConfig names =
                    JobConfig.fromArgs(
                            "--bootstrap.servers", kafka.bootstrapServers(),
                            "--model.path", TestModel.directory().toString());
            Properties admin = EmbeddedKafka.saslClient("admin", "admin-only-pw");
            admin.put("bootstrap.servers", kafka.bootstrapServers());
            try (Admin acls = Admin.create(admin)) {
                acls.createAcls(KafkaAcls.of(names, KafkaAcls.Role.JOB, "User:sentiflow"))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                acls.createAcls(KafkaAcls.of(names, KafkaAcls.Role.PRODUCER, "User:producer"))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                acls.createAcls(KafkaAcls.of(names, KafkaAcls.Role.OPERATOR, "User:operator"))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }
            // A producer may not write routing commands; an operator may, and the job (its
            // automatic canary decisions, which need its own key where commands are signed).
            assertWriteRefused(
                    kafka.bootstrapServers(), "producer", "producer-pw", "model-control");
            assertWriteRefused(kafka.bootstrapServers(), "producer", "producer-pw", "sentiments");
            assertWriteRefused(kafka.bootstrapServers(), "nobody", "nobody-pw", "reviews");
            try (KafkaProducer<byte[], byte[]> operator =
                    KafkaClients.producer(
                            kafka.bootstrapServers(),
                            EmbeddedKafka.saslClient("operator", "operator-pw"))) {
                operator.send(
                                new ProducerRecord<>(
                                        "model-control",
                                        "routing".getBytes(StandardCharsets.UTF_8),
                                        Json.toBytes(
                                                new io.sentiflow.schemas.ModelControl(
                                                        "acl-test",
                                                        io.sentiflow.schemas.ModelControl.Action
                                                                .CLEAR_SHADOW,
                                                        null,
                                                        null,
                                                        "operator",
                                                        System.currentTimeMillis()))))
                        .get(30, TimeUnit.SECONDS);
            }

            Properties credentials = EmbeddedKafka.saslClient("sentiflow", PASSWORD);
            Properties producerCredentials = EmbeddedKafka.saslClient("producer", "producer-pw");
            List<LabeledText> reviews = TestModel.imdb().sample("test", 100, 77);
            try (KafkaProducer<byte[], byte[]> producer =
                    KafkaClients.producer(kafka.bootstrapServers(), producerCredentials)) {
                for (int i = 0; i < reviews.size(); i++) {
                    String id = "sasl-" + i;
                    producer.send(
                            new ProducerRecord<>(
                                    "reviews",
                                    id.getBytes(StandardCharsets.UTF_8),
                                    Json.toBytes(Review.of(id, reviews.get(i).text()))));
                }
            }

            Path jobProperties = dir.resolve("job.properties");
            Properties file = new Properties();
            file.setProperty("bootstrap.servers", kafka.bootstrapServers());
            credentials.forEach((key, value) -> file.setProperty("kafka." + key, (String) value));
            try (var out = Files.newBufferedWriter(jobProperties)) {
                file.store(out, "job settings with Kafka credentials");
            }
            JobConfig config =
                    JobConfig.fromArgs(
                            "--config", jobProperties.toString(),
                            "--model.path", TestModel.directory().toString(),
                            "--bounded", "true",
                            "--device", "cpu",
                            "--checkpoint.interval-ms", "500");
            assertThat(config.toString()).doesNotContain(PASSWORD);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            SentimentJob.fromConfig(config).execute(env);

            var sentiments =
                    KafkaClients.readUntil(
                            kafka.bootstrapServers(),
                            EmbeddedKafka.saslClient("admin", "admin-only-pw"),
                            "sentiments",
                            r -> r.size() >= reviews.size(),
                            Duration.ofSeconds(60));
            assertThat(sentiments).hasSize(reviews.size());
        }
        assertThat(logLines).as("the test saw the clients' logs").isNotEmpty();
        assertThat(logLines).noneMatch(line -> line.contains(PASSWORD));
    }

    private static void assertClientsWithoutTheRightCredentialsAreRefused(String bootstrap) {
        Properties anonymous = new Properties();
        anonymous.put("bootstrap.servers", bootstrap);
        anonymous.put("default.api.timeout.ms", "4000");
        anonymous.put("request.timeout.ms", "2000");
        try (Admin admin = Admin.create(anonymous)) {
            // A client that does not authenticate is never answered on a SASL listener.
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        }
        Properties wrong = EmbeddedKafka.saslClient("sentiflow", "not-the-password");
        wrong.put("bootstrap.servers", bootstrap);
        wrong.put("default.api.timeout.ms", "4000");
        wrong.put("request.timeout.ms", "2000");
        try (Admin admin = Admin.create(wrong)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(
                            org.apache.kafka.common.errors.SaslAuthenticationException.class);
        }
    }

    /** An authenticated {@code user} may not write {@code topic}: authorization, not a timeout. */
    private static void assertWriteRefused(
            String bootstrap, String user, String password, String topic) {
        Properties props = EmbeddedKafka.saslClient(user, password);
        props.put("max.block.ms", "10000");
        props.put("delivery.timeout.ms", "15000");
        props.put("request.timeout.ms", "10000");
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, props)) {
            assertThatThrownBy(
                            () ->
                                    producer.send(
                                                    new ProducerRecord<>(
                                                            topic,
                                                            "routing"
                                                                    .getBytes(
                                                                            StandardCharsets.UTF_8),
                                                            "{}".getBytes(StandardCharsets.UTF_8)))
                                            .get(30, TimeUnit.SECONDS))
                    .as("%s writing %s", user, topic)
                    .hasRootCauseInstanceOf(
                            org.apache.kafka.common.errors.TopicAuthorizationException.class);
        }
    }
}
