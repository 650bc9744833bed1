package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sentiflow.local.KafkaBrokerProcess;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.SchemaValidator;
import io.sentiflow.schemas.Schemas;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Records a producer bug can send, against a separate broker process whose {@code
 * message.max.bytes} is 16 MiB (as many clusters set it): a 10 MiB review, a 900 kB review, a 900
 * kB label and a 900 kB control command among valid reviews. Each becomes a dead letter that fits
 * in one Kafka record (cut, with the whole value's size and SHA-256), every valid review is scored
 * exactly once, and the job never restarts.
 */
class HostileInputEndToEndTest {
    private static final int VALID = 200;
    private static final int SIXTEEN_MIB = 16 * 1024 * 1024;
    private static final int LONG = 160;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static KafkaBrokerProcess broker;

    @BeforeAll
    static void startABrokerThatTakesLargeRecords() throws Exception {
        broker = KafkaBrokerProcess.start(Map.of("message.max.bytes", String.valueOf(SIXTEEN_MIB)));
    }

    @AfterAll
    static void stopTheBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static byte[] review(String id, int textBytes) {
        char[] text = new char[textBytes];
        Arrays.fill(text, 'a');
        for (int i = 5; i < text.length; i += 6) {
            text[i] = ' ';
        }
        return Json.toBytes(Review.of(id, new String(text)));
    }

    @Test
    void oversizedRecordsShouldBecomeDeadLettersThatFitAndStopNothing(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        StreamingFixture fixture = new StreamingFixture(broker, "hostile");
        byte[] tenMiB = review("huge-review", 10 * 1024 * 1024);
        byte[] bigReview = review("big-review", 900_000);
        byte[] bigLabel =
                ("{\"reviewId\": \"x\", \"label\": \"positive\", \"labelledBy\": \""
                                + "r".repeat(900_000)
                                + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
        byte[] bigCommand =
                ("{\"commandId\": \"c\", \"action\": \"rollback\", \"issuedBy\": \""
                                + "o".repeat(900_000)
                                + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> hostile = new HashMap<>();
        hostile.put(fixture.reviews + "/huge", tenMiB);
        hostile.put(fixture.reviews + "/big", bigReview);
        hostile.put(fixture.labels + "/big", bigLabel);
        hostile.put(fixture.control + "/big", bigCommand);

        List<LabeledText> texts = TestModel.imdb().sample("test", VALID, 31);
        Properties large = new Properties();
        large.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(SIXTEEN_MIB));
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(broker.bootstrapServers(), large)) {
            for (int i = 0; i < VALID; i++) {
                String id = "valid-" + i;
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(Review.of(id, texts.get(i).text()))));
                if (i == VALID / 4) {
                    producer.send(new ProducerRecord<>(fixture.reviews, tenMiB)).get();
                    producer.send(new ProducerRecord<>(fixture.labels, bigLabel)).get();
                }
                if (i == VALID / 2) {
                    producer.send(new ProducerRecord<>(fixture.reviews, bigReview)).get();
                    producer.send(new ProducerRecord<>(fixture.control, bigCommand)).get();
                }
            }
            producer.flush();
        }

        JobConfig config = fixture.config(Map.of(JobConfig.PARALLELISM, "2"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobClient job = SentimentJob.fromConfig(config).executeAsync(env);
        try {
            Map<String, Integer> counts =
                    fixture.sentimentCounts(VALID, Duration.ofSeconds(3), Duration.ofSeconds(120));
            assertThat(counts).hasSize(VALID);
            assertThat(counts.values()).as("each valid review exactly once").containsOnly(1);

            List<ConsumerRecord<byte[], byte[]>> records =
                    KafkaClients.readUntil(
                            broker.bootstrapServers(),
                            fixture.deadLetters,
                            r -> r.size() >= hostile.size(),
                            Duration.ofSeconds(60));
            assertThat(records).hasSize(hostile.size());
            SchemaValidator validator = new SchemaValidator();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (ConsumerRecord<byte[], byte[]> record : records) {
                assertThat(record.serializedValueSize())
                        .isLessThanOrEqualTo(config.outputMaxRecordBytes());
                assertThat(validator.validate(Schemas.DEAD_LETTER_V1, record.value())).isEmpty();
                DeadLetter letter = Json.deadLetter(record.value());
                byte[] original =
                        hostile.get(
                                letter.sourceTopic()
                                        + (letter.originalSize() > 5_000_000 ? "/huge" : "/big"));
                assertThat(original).as(letter.sourceTopic()).isNotNull();
                assertThat(letter.truncated()).isTrue();
                assertThat(letter.originalSize()).isEqualTo(original.length);
                assertThat(letter.originalSha256())
                        .isEqualTo(HexFormat.of().formatHex(sha.digest(original)));
                assertThat(letter.originalBytes())
                        .isEqualTo(Arrays.copyOf(original, config.deadLetterMaxValueBytes()));
                assertThat(letter.reason())
                        .isEqualTo(
                                letter.sourceTopic().equals(fixture.reviews)
                                        ? DeadLetter.Reason.TEXT_TOO_LONG
                                        : DeadLetter.Reason.RECORD_TOO_LARGE);
            }
            assertThat(
                            records.stream()
                                    .map(r -> Json.deadLetter(r.value()).sourceTopic())
                                    .sorted()
                                    .toList())
                    .containsExactlyInAnyOrder(
                            fixture.reviews, fixture.reviews, fixture.labels, fixture.control);
            assertThat(StreamingFixture.recordedFailures(cluster, job.getJobID()))
                    .as("the job never restarted")
                    .isZero();
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState())
                    .isFalse();
            List<Sentiment> all =
                    fixture.committedSentiments(VALID, Duration.ZERO, Duration.ofSeconds(10));
            assertThat(all).allSatisfy(s -> assertThat(s.reviewId()).startsWith("valid-"));
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Reviews near {@code review.max-bytes} that wait for a 4 s minimum delay: 14 MB of text read
     * but not scored at every checkpoint for seconds, more than the 5 MiB a JobManager-stored
     * checkpoint allows. The checkpoints keep at most 1 MiB of it per scoring subtask (scoring only
     * the rest before the barrier): no checkpoint holds more than twice that, one holds more than
     * half of it; the job never restarts, and every review is scored once.
     */
    @Test
    void checkpointsShouldKeepAtMostTheirBoundOfLongReviewsThatWait(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        StreamingFixture fixture = new StreamingFixture(broker, "hostile-waiting");
        List<LabeledText> texts = TestModel.imdb().sample("test", LONG, 37);
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(broker.bootstrapServers(), new Properties())) {
            for (int i = 0; i < LONG; i++) {
                StringBuilder text = new StringBuilder();
                while (text.length() < 90_000) {
                    text.append(texts.get((i + text.length()) % LONG).text()).append(' ');
                }
                text.setLength(90_000);
                String id = "long-" + i;
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(Review.of(id, text.toString()))));
            }
            producer.flush();
        }
        JobConfig config =
                fixture.config(
                        Map.of(
                                JobConfig.PARALLELISM, "2",
                                JobConfig.BATCH_MAX_SIZE, "256",
                                JobConfig.BATCH_MAX_DELAY_MS, "4000"));
        JobClient job =
                SentimentJob.fromConfig(config)
                        .executeAsync(StreamExecutionEnvironment.getExecutionEnvironment());
        try {
            Map<String, Integer> counts =
                    fixture.sentimentCounts(LONG, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertThat(counts).hasSize(LONG);
            assertThat(counts.values()).as("each exactly once").containsOnly(1);
            JsonNode checkpoints =
                    StreamingFixture.rest(cluster, "/jobs/" + job.getJobID() + "/checkpoints");
            assertThat(checkpoints.path("counts").path("completed").asInt())
                    .as("checkpoints completed while the reviews waited")
                    .isGreaterThanOrEqualTo(4);
            long largest = checkpoints.path("summary").path("state_size").path("max").asLong();
            // Without the bound the checkpoints taken while the reviews waited held 14 MB; scoring
            // everything before the barrier instead (as before) kept none.
            assertThat(largest)
                    .as("reviews were kept in a checkpoint")
                    .isGreaterThan(ScoreBatch.CHECKPOINT_TEXT_MAX_BYTES / 2)
                    .as("at most the bound for each of the two scoring subtasks, and a little")
                    .isLessThanOrEqualTo(2 * ScoreBatch.CHECKPOINT_TEXT_MAX_BYTES + 256 * 1024);
            assertThat(StreamingFixture.recordedFailures(cluster, job.getJobID()))
                    .as("the job never restarted")
                    .isZero();
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
