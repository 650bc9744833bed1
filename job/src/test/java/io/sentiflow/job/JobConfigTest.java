package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

    @Test
    void shouldUseDefaultsForWhatIsNotGiven() throws IOException {
        JobConfig config = JobConfig.fromArgs();
        assertThat(config.reviewsTopic()).isEqualTo("reviews");
        assertThat(config.sentimentsTopic()).isEqualTo("sentiments");
        assertThat(config.deadLettersTopic()).isEqualTo("reviews-dlq");
        assertThat(config.batchMaxSize()).isEqualTo(64);
        assertThat(config.exactlyOnce()).isTrue();
    }

    @Test
    void argumentsShouldOverrideThePropertiesFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("job.properties");
        Files.writeString(
                file,
                "batch.max-size=8\ntopic.reviews=from-file\nkafka.security.protocol=SASL_SSL\n"
                        + "kafka.sasl.jaas.config=secret-stuff\n");
        JobConfig config =
                JobConfig.fromArgs(
                        "--config", file.toString(), "--batch.max-size", "16", "--device=cpu");
        assertThat(config.batchMaxSize()).isEqualTo(16);
        assertThat(config.reviewsTopic()).isEqualTo("from-file");
        assertThat(config.device()).isEqualTo("cpu");
        assertThat(config.kafkaProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "secret-stuff");
        assertThat(config.toString()).contains("SASL_SSL").doesNotContain("secret-stuff");
    }

    @Test
    void shouldRefuseUnknownKeysAndBadValues() throws java.io.IOException {
        assertThatThrownBy(() -> JobConfig.fromArgs("--batch.size", "3"))
                .hasMessageContaining("unknown configuration key");
        assertThatThrownBy(() -> JobConfig.fromArgs("--batch.max-size", "0"))
                .hasMessageContaining("must be positive");
        assertThat(JobConfig.fromArgs().batchLoadDelayMs()).isEqualTo(25);
        assertThat(JobConfig.fromArgs("--batch.load-delay-ms", "0").batchLoadDelayMs()).isZero();
        assertThat(
                        ScoringSettings.of(JobConfig.fromArgs("--batch.load-delay-ms", "7"))
                                .batching()
                                .loadDelayMs())
                .isEqualTo(7);
        assertThatThrownBy(() -> JobConfig.fromArgs("--batch.load-delay-ms", "-1"))
                .isInstanceOf(IllegalArgumentException.class);
        for (String delay : new String[] {"--batch.load-delay-ms", "--batch.max-delay-ms"}) {
            assertThatThrownBy(() -> JobConfig.fromArgs(delay, String.valueOf(Long.MAX_VALUE)))
                    .hasMessageContaining("at most 60000");
            assertThat(JobConfig.fromArgs(delay, "60000")).isNotNull();
        }
        assertThatThrownBy(() -> JobConfig.fromArgs("--batch.sort-window", "-1"))
                .hasMessageContaining("batch.sort-window");
        assertThat(JobConfig.fromArgs().batchSortWindow())
                .isEqualTo(Batcher.DEFAULT_WINDOW_BATCHES);
        assertThat(JobConfig.fromArgs("--batch.sort-window", "0").batchSortWindow()).isZero();
        assertThatThrownBy(() -> JobConfig.fromArgs("--batch.max-size", "many"))
                .hasMessageContaining("must be a number");
        assertThatThrownBy(() -> JobConfig.fromArgs("--device", "tpu"))
                .hasMessageContaining("auto|cpu|gpu");
        assertThatThrownBy(() -> JobConfig.fromArgs("--delivery", "maybe"))
                .hasMessageContaining("exactly-once");
        assertThatThrownBy(() -> JobConfig.fromArgs("--starting-offsets", "timestamp:soon"))
                .hasMessageContaining("starting-offsets");
        assertThatThrownBy(() -> JobConfig.fromArgs("--model.path"))
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> JobConfig.fromArgs("stray"))
                .hasMessageContaining("expected --key value");
        assertThatThrownBy(() -> JobConfig.fromArgs("--control.trusted-keys", "keys/ops.pub"))
                .hasMessageContaining("control.max-age-ms");
        // The job's own decisions must fit the control records it accepts.
        assertThatThrownBy(() -> JobConfig.fromArgs("--control.max-bytes", "4096"))
                .hasMessageContaining("control.decisions");
        assertThat(
                        JobConfig.fromArgs(
                                        "--control.max-bytes",
                                        "4096",
                                        "--control.decisions",
                                        "false")
                                .controlMaxBytes())
                .isEqualTo(4096);
    }

    @Test
    void theStartingModelShouldComeFromAPathOrFromTheRegistry() throws IOException {
        JobConfig fromRegistry =
                JobConfig.fromArgs(
                        "--registry.root", "/models/registry", "--model.version", "textcnn@2");
        assertThat(fromRegistry.modelVersion()).isEqualTo("textcnn@2");
        assertThat(fromRegistry.registryRoot()).isEqualTo("/models/registry");
        assertThat(JobConfig.fromArgs().registryRoot()).isNull();
        assertThat(JobConfig.fromArgs().controlTopic()).isEqualTo("model-control");
        assertThatThrownBy(() -> JobConfig.fromArgs("--model.version", "textcnn@2"))
                .hasMessageContaining("set registry.root too");
        assertThatThrownBy(() -> JobConfig.fromArgs("--model.path", ""))
                .hasMessageContaining("set model.path, or registry.root and model.version");
        assertThatThrownBy(() -> JobConfig.fromArgs("--model.max-loaded", "2"))
                .hasMessageContaining("at least 3");
        assertThatThrownBy(() -> JobConfig.fromArgs("--samples.drift-max", "-1"))
                .hasMessageContaining("samples.drift-max must be >= 0");
    }

    @Test
    void shouldAcceptAStartTimestamp() throws IOException {
        assertThat(
                        JobConfig.fromArgs("--starting-offsets", "timestamp:1700000000000")
                                .startingOffsets())
                .isEqualTo("timestamp:1700000000000");
    }

    @Test
    void everyRecordTheJobWritesShouldFitTheConfiguredRecordSize() throws IOException {
        JobConfig defaults = JobConfig.fromArgs();
        assertThat(defaults.deadLetterMaxValueBytes()).isEqualTo(65536);
        assertThat(defaults.outputMaxRecordBytes()).isEqualTo(1048576);
        assertThatThrownBy(() -> JobConfig.fromArgs("--dead-letters.max-value-bytes", "1000000"))
                .hasMessageContaining("more than output.max-record-bytes 1048576");
        assertThat(
                        JobConfig.fromArgs(
                                        "--dead-letters.max-value-bytes",
                                        "1000000",
                                        "--output.max-record-bytes",
                                        "2000000")
                                .deadLetterMaxValueBytes())
                .isEqualTo(1000000);
        assertThatThrownBy(() -> JobConfig.fromArgs("--labels.join-fraction", "1.5"))
                .hasMessageContaining("labels.join-fraction must be in [0, 1]");
        assertThatThrownBy(() -> JobConfig.fromArgs("--state.backend", "memory"))
                .hasMessageContaining("hashmap|rocksdb");
        assertThatThrownBy(() -> JobConfig.fromArgs("--control.max-pending", "0"))
                .hasMessageContaining("must be positive");
        assertThat(
                        SentimentJob.runtimeSettings(
                                        JobConfig.fromArgs("--restart.max-failures", "0"))
                                .toMap())
                .containsEntry("restart-strategy.type", "none");
        assertThat(SentimentJob.runtimeSettings(defaults).toMap())
                .containsEntry("restart-strategy.type", "failure-rate")
                .containsEntry("restart-strategy.failure-rate.max-failures-per-interval", "10")
                .containsEntry("state.backend.type", "hashmap");
    }

    @Test
    void aProducersTimestampShouldBeBelievedOnlyWhenPlausible() {
        KafkaRecordDeserializer deserializer = new KafkaRecordDeserializer(60_000);
        long now = 1_000_000_000L;
        var create = org.apache.kafka.common.record.TimestampType.CREATE_TIME;
        var append = org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME;
        assertThat(deserializer.believableTimestamp(now - 5_000, create, now))
                .isEqualTo(now - 5_000);
        assertThat(deserializer.believableTimestamp(0, create, now)).as("from 1970").isEqualTo(now);
        assertThat(deserializer.believableTimestamp(-1, create, now)).as("none").isEqualTo(now);
        assertThat(deserializer.believableTimestamp(now + 86_400_000, create, now))
                .as("from tomorrow")
                .isEqualTo(now);
        assertThat(deserializer.believableTimestamp(now - 3_600_000, append, now))
                .as("the broker's own clock is believed")
                .isEqualTo(now - 3_600_000);
    }

    @Test
    void onlyTheEdgeEveryReviewTakesShouldFlushAfterTheShortTimeout() throws IOException {
        JobConfig config =
                JobConfig.fromArgs(
                        "--model.path",
                        TestModel.directory().toString(),
                        "--device",
                        "cpu",
                        "--" + JobConfig.NETWORK_BUFFER_TIMEOUT_MS,
                        "7");
        var env =
                org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
                        .getExecutionEnvironment();
        long clusterDefault = env.getBufferTimeout();
        var graph = defineJob(config, env).getStreamGraph();
        java.util.Map<String, Long> timeouts = new java.util.TreeMap<>();
        for (var node : graph.getStreamNodes()) {
            for (var edge : node.getOutEdges()) {
                timeouts.put(
                        node.getOperatorName()
                                + " -> "
                                + graph.getStreamNode(edge.getTargetId()).getOperatorName(),
                        edge.getBufferTimeout());
            }
        }
        assertThat(timeouts).containsEntry("ParseReview -> ScoreBatch", 7L);
        timeouts.remove("ParseReview -> ScoreBatch");
        // ParseReview's dead letters ride its buffers too; every other edge keeps the default.
        timeouts.remove("ParseReview -> CountDeadLetters");
        assertThat(timeouts).hasSizeGreaterThan(5);
        assertThat(clusterDefault).isNotEqualTo(7L);
        assertThat(timeouts.values()).as(timeouts.toString()).containsOnly(clusterDefault);
    }

    private static org.apache.flink.streaming.api.environment.StreamExecutionEnvironment defineJob(
            JobConfig config,
            org.apache.flink.streaming.api.environment.StreamExecutionEnvironment env) {
        new SentimentJob(
                        config,
                        KafkaIo.reviewSource(config),
                        KafkaIo.labelSource(config),
                        KafkaIo.controlSource(config),
                        KafkaIo.sentimentSink(config),
                        KafkaIo.deadLetterSink(config),
                        KafkaIo.healthSink(config),
                        KafkaIo.sampleSink(config))
                .defineWorkflow(env);
        return env;
    }

    @Test
    void theJobsGraphShouldNeedNoKryoAnywhere() throws IOException {
        JobConfig config =
                JobConfig.fromArgs(
                        "--model.path", TestModel.directory().toString(), "--device", "cpu");
        var env =
                org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
                        .getExecutionEnvironment();
        defineJob(config, env);
        assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).isTrue();
        // Building the graph creates every edge's serializer: a type that needs Kryo fails here.
        var graph = env.getStreamGraph();
        assertThat(graph.getStreamNodes())
                .extracting(node -> node.getOperatorName())
                .contains("ScoreBatch", "ParseReview", "JoinLabelFeedback", "AggregateHealth");
        graph.getJobGraph();
        for (var node : graph.getStreamNodes()) {
            assertThat(
                            node.getTypeSerializerOut() == null
                                    || !(node.getTypeSerializerOut()
                                            instanceof
                                            org.apache.flink.api.java.typeutils.runtime.kryo
                                                    .KryoSerializer))
                    .as(node.getOperatorName())
                    .isTrue();
        }
    }
}
