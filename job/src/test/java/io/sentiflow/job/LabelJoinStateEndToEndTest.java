package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 100,000 unlabelled reviews through the job: only the configured fraction of predictions waits for
 * a label, so the label join's checkpointed state stays under its documented bound ({@link
 * JoinLabelFeedback#MAX_BYTES_PER_WAITING} per waiting prediction) instead of growing with every
 * review.
 */
class LabelJoinStateEndToEndTest {
    private static final int REVIEWS = 100_000;
    private static final double FRACTION = 0.01;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void theLabelJoinsStateShouldStayBoundedWhateverTheTraffic(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        StreamingFixture fixture = new StreamingFixture(KAFKA, "label-state");
        List<LabeledText> texts = TestModel.imdb().sample("test", 5_000, 41);
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(KAFKA.bootstrapServers(), new Properties())) {
            for (int i = 0; i < REVIEWS; i++) {
                String text = texts.get(i % texts.size()).text();
                String id = "r-" + i;
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(
                                        Review.of(
                                                id,
                                                text.substring(0, Math.min(300, text.length()))))));
            }
            producer.flush();
        }
        JobConfig config =
                fixture.config(
                        Map.of(
                                JobConfig.MODEL_PATH, TestModel.nearFree().toString(),
                                JobConfig.PARALLELISM, "2",
                                JobConfig.BATCH_MAX_SIZE, "64",
                                JobConfig.SAMPLES_BAND, "0",
                                JobConfig.LABELS_JOIN_FRACTION, String.valueOf(FRACTION),
                                JobConfig.LABELS_TTL_MS, "3600000"));
        JobClient job =
                SentimentJob.fromConfig(config)
                        .executeAsync(StreamExecutionEnvironment.getExecutionEnvironment());
        try {
            assertThat(fixture.sentimentCounts(REVIEWS, Duration.ZERO, Duration.ofMinutes(4)))
                    .hasSize(REVIEWS);
            // Every sentiment is committed, so the checkpoint after this one holds every wait.
            long seen = latestCheckpoint(cluster, job);
            long checkpoint = seen;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (checkpoint <= seen + 1 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                checkpoint = latestCheckpoint(cluster, job);
            }
            long stateBytes = joinStateBytes(cluster, job, checkpoint);
            LabelJoin join = new LabelJoin(FRACTION);
            long waiting =
                    IntStream.range(0, REVIEWS)
                            .filter(i -> join.waitsForPrediction("r-" + i))
                            .count();
            assertThat(waiting).isBetween(800L, 1200L);
            assertThat(stateBytes)
                    .as("checkpointed label-join state for %d waiting predictions", waiting)
                    .isLessThanOrEqualTo(waiting * JoinLabelFeedback.MAX_BYTES_PER_WAITING)
                    .as("the waiting predictions are really in it")
                    .isGreaterThan(waiting * 10);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void theLabelJoinShouldRunOnRocksDbWhenConfigured(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        StreamingFixture fixture = new StreamingFixture(KAFKA, "label-rocksdb");
        List<LabeledText> texts = TestModel.imdb().sample("test", 500, 43);
        fixture.produce(texts, "rocks", 0);
        JobConfig config =
                fixture.config(
                        Map.of(
                                JobConfig.MODEL_PATH, TestModel.nearFree().toString(),
                                JobConfig.PARALLELISM, "2",
                                JobConfig.SAMPLES_BAND, "0",
                                JobConfig.LABELS_JOIN_FRACTION, "1",
                                JobConfig.STATE_BACKEND, "rocksdb"));
        JobClient job =
                SentimentJob.fromConfig(config)
                        .executeAsync(StreamExecutionEnvironment.getExecutionEnvironment());
        try {
            assertThat(fixture.sentimentCounts(texts.size(), Duration.ZERO, Duration.ofMinutes(2)))
                    .hasSize(texts.size());
            assertThat(
                            StreamingFixture.rest(
                                            cluster,
                                            "/jobs/" + job.getJobID() + "/checkpoints/config")
                                    .path("state_backend")
                                    .asText())
                    .contains("RocksDB");
            long seen = latestCheckpoint(cluster, job);
            long checkpoint = seen;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (checkpoint <= seen + 1 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                checkpoint = latestCheckpoint(cluster, job);
            }
            assertThat(joinStateBytes(cluster, job, checkpoint))
                    .as("every prediction waits, in RocksDB")
                    .isGreaterThan(texts.size() * 10L);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static long latestCheckpoint(MiniCluster cluster, JobClient job) throws Exception {
        JsonNode latest =
                StreamingFixture.rest(cluster, "/jobs/" + job.getJobID() + "/checkpoints")
                        .path("latest")
                        .path("completed");
        return latest.isMissingNode() || latest.isNull() ? -1 : latest.path("id").asLong();
    }

    /** The checkpointed state size of the label join's task (all its subtasks). */
    private static long joinStateBytes(MiniCluster cluster, JobClient job, long checkpoint)
            throws Exception {
        String vertex = null;
        for (JsonNode v :
                StreamingFixture.rest(cluster, "/jobs/" + job.getJobID()).path("vertices")) {
            if (v.path("name").asText().contains("JoinLabelFeedback")) {
                vertex = v.path("id").asText();
            }
        }
        assertThat(vertex).as("the label join's vertex").isNotNull();
        JsonNode task =
                StreamingFixture.rest(
                                cluster,
                                "/jobs/" + job.getJobID() + "/checkpoints/details/" + checkpoint)
                        .path("tasks")
                        .path(vertex);
        return task.path("state_size").asLong();
    }
}
