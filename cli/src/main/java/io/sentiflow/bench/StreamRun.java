package io.sentiflow.bench;

import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Sentiment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** One run of the real job on a local mini cluster over reviews already in Kafka. */
final class StreamRun {
    /**
     * @param reviews how many reviews were scored
     * @param perSecond scored reviews per second in the steady state: from the end of the first
     *     quarter of scorings to the last one
     * @param latencies milliseconds from each review's Kafka timestamp to its scoring, sorted
     */
    record Result(int reviews, double perSecond, List<Long> latencies) {
        long percentile(int p) {
            if (latencies.isEmpty()) {
                return 0;
            }
            int index = (int) Math.ceil(p / 100.0 * latencies.size()) - 1;
            return latencies.get(Math.max(0, Math.min(latencies.size() - 1, index)));
        }
    }

    private StreamRun() {}

    /** Scores the whole topic with a bounded job (at-least-once, so output is visible at once). */
    static Result bounded(
            EmbeddedKafka kafka,
            String reviewsTopic,
            int expected,
            Map<String, String> settings,
            int parallelism,
            String name)
            throws Exception {
        Map<String, String> values = runSettings(kafka, reviewsTopic, name, settings);
        values.put(JobConfig.BOUNDED, "true");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(parallelism);
        SentimentJob.fromConfig(JobConfig.of(values)).execute(env);
        return read(kafka, values.get(JobConfig.TOPIC_SENTIMENTS), expected);
    }

    /**
     * The job's settings for one run named {@code name}: its own output topics (created here), its
     * own consumer group, at-least-once output so results are visible at once.
     */
    static Map<String, String> runSettings(
            EmbeddedKafka kafka, String reviewsTopic, String name, Map<String, String> settings)
            throws java.io.IOException {
        Map<String, String> values = new HashMap<>(settings);
        values.put(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        values.put(JobConfig.TOPIC_REVIEWS, reviewsTopic);
        values.put(JobConfig.TOPIC_SENTIMENTS, name + "-sentiments");
        values.put(JobConfig.TOPIC_DEAD_LETTERS, name + "-dlq");
        values.put(JobConfig.TOPIC_HEALTH, name + "-health");
        values.put(JobConfig.TOPIC_LABELS, name + "-labels");
        values.put(JobConfig.TOPIC_SAMPLES, name + "-samples");
        values.put(JobConfig.TOPIC_CONTROL, name + "-control");
        values.put(JobConfig.GROUP_ID, name);
        values.put(JobConfig.DELIVERY, "at-least-once");
        values.put(JobConfig.CHECKPOINT_INTERVAL_MS, "10000");
        kafka.createTopics(
                2,
                List.of(
                        values.get(JobConfig.TOPIC_SENTIMENTS),
                        values.get(JobConfig.TOPIC_DEAD_LETTERS),
                        values.get(JobConfig.TOPIC_HEALTH),
                        values.get(JobConfig.TOPIC_LABELS),
                        values.get(JobConfig.TOPIC_SAMPLES),
                        values.get(JobConfig.TOPIC_CONTROL)));
        return values;
    }

    static Result read(EmbeddedKafka kafka, String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records =
                KafkaClients.readUntil(
                        kafka.bootstrapServers(),
                        topic,
                        r -> r.size() >= expected,
                        Duration.ofSeconds(60));
        return summarize(records.stream().map(r -> Json.sentiment(r.value())).toList());
    }

    /** Share of a run's first scorings left out of its throughput: the job warming up. */
    static final double WARM_UP_SHARE = 0.25;

    static Result summarize(List<Sentiment> sentiments) {
        List<Long> latencies = new ArrayList<>();
        List<Long> scoredAt = new ArrayList<>();
        for (Sentiment s : sentiments) {
            latencies.add(s.latencyMs());
            scoredAt.add(s.scoredAt());
        }
        Collections.sort(latencies);
        Collections.sort(scoredAt);
        // Steady state, as the model-alone figure (measured after a warm-up pass): the rate from
        // the end of the first quarter of scorings to the last one, once JIT and libtorch are warm.
        int from = (int) (scoredAt.size() * WARM_UP_SHARE);
        int last = scoredAt.size() - 1;
        double seconds =
                scoredAt.isEmpty()
                        ? 1e-3
                        : Math.max(1e-3, (scoredAt.get(last) - scoredAt.get(from)) / 1000.0);
        return new Result(sentiments.size(), Math.max(0, last - from) / seconds, latencies);
    }
}
