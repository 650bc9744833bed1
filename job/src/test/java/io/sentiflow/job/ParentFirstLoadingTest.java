package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.model.data.LabeledText;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two jobs, one after the other, on the same TaskManager with DJL loaded parent-first, as the image
 * configures Flink: libtorch loads once per JVM, so the second job must reuse it.
 */
class ParentFirstLoadingTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(parentFirstDjl())
                            .build());

    private static Configuration parentFirstDjl() {
        Configuration conf = new Configuration();
        conf.set(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL, List.of("ai.djl."));
        return conf;
    }

    @Test
    void aSecondJobOnTheSameTaskManagerShouldScoreToo() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            for (String run : List.of("first", "second")) {
                StreamingFixture fixture = new StreamingFixture(kafka, run);
                List<LabeledText> reviews = TestModel.imdb().sample("test", 80, run.length());
                fixture.produce(reviews, run, 0);
                StreamExecutionEnvironment env =
                        StreamExecutionEnvironment.getExecutionEnvironment();
                env.setParallelism(2);
                SentimentJob.fromConfig(fixture.config(Map.of(JobConfig.BOUNDED, "true")))
                        .execute(env);
                Map<String, Integer> counts =
                        fixture.sentimentCounts(
                                reviews.size(), Duration.ZERO, Duration.ofSeconds(30));
                assertThat(counts).as(run + " job").hasSize(reviews.size());
            }
        }
    }
}
