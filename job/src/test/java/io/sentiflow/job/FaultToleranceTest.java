package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.model.data.LabeledText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under failure, end to end: task managers die mid-stream, the job is stopped with a
 * savepoint and resumed, and a read_committed consumer still sees one sentiment per review.
 */
class FaultToleranceTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = StreamingFixture.clusterWithRestarts();

    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void everyReviewShouldBeScoredExactlyOnceThoughTaskManagersDie(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        StreamingFixture fixture = new StreamingFixture(KAFKA, "failures");
        List<LabeledText> reviews = TestModel.imdb().sample("test", 2000, 31);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient job = SentimentJob.fromConfig(fixture.config(Map.of())).executeAsync(env);

        Thread producer = new Thread(() -> fixture.produce(reviews, "ft", 250));
        producer.start();
        Random random = new Random(99);
        int nextToKill = 0;
        for (int failure = 0; failure < 3; failure++) {
            StreamingFixture.sleepMillis(800 + random.nextInt(1500));
            cluster.terminateTaskManager(nextToKill++).get(30, TimeUnit.SECONDS);
            cluster.startTaskManager();
        }
        producer.join();

        Map<String, Integer> counts =
                fixture.sentimentCounts(
                        reviews.size(), Duration.ofSeconds(3), Duration.ofSeconds(120));
        job.cancel().get(30, TimeUnit.SECONDS);
        assertExactlyOnce(counts, "ft", reviews.size());
    }

    @Test
    void aJobResumedFromASavepointShouldScoreEveryReviewExactlyOnce(@TempDir Path savepoints)
            throws Exception {
        StreamingFixture fixture = new StreamingFixture(KAFKA, "savepoint");
        List<LabeledText> reviews = TestModel.imdb().sample("test", 1200, 41);
        JobConfig config = fixture.config(Map.of());

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient first = SentimentJob.fromConfig(config).executeAsync(env);
        Thread producer = new Thread(() -> fixture.produce(reviews, "sp", 300));
        producer.start();
        // Stop mid-stream, once the job demonstrably runs: some sentiments are committed.
        assertThat(fixture.sentimentCounts(100, Duration.ZERO, Duration.ofSeconds(60)))
                .hasSizeGreaterThanOrEqualTo(100);
        String savepoint =
                first.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS);
        producer.join();

        StreamExecutionEnvironment again = StreamExecutionEnvironment.getExecutionEnvironment();
        again.setParallelism(2);
        SentimentJob.fromConfig(config).defineWorkflow(again);
        StreamGraph graph = again.getStreamGraph();
        graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        JobClient second = again.executeAsync(graph);

        Map<String, Integer> counts =
                fixture.sentimentCounts(
                        reviews.size(), Duration.ofSeconds(3), Duration.ofSeconds(90));
        second.cancel().get(30, TimeUnit.SECONDS);
        assertExactlyOnce(counts, "sp", reviews.size());
    }

    private static void assertExactlyOnce(
            Map<String, Integer> counts, String prefix, int expected) {
        List<String> ids = IntStream.range(0, expected).mapToObj(i -> prefix + "-" + i).toList();
        assertThat(counts.keySet())
                .as("no review missing")
                .containsExactlyInAnyOrderElementsOf(ids);
        Map<String, Integer> duplicated =
                counts.entrySet().stream()
                        .filter(e -> e.getValue() != 1)
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(duplicated).as("no review scored twice").isEmpty();
    }
}
