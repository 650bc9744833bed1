package io.sentiflow.job;

import io.sentiflow.local.KafkaBroker;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Topics of one test on the embedded broker, a job config for them, and ways to feed and read them.
 */
public final class StreamingFixture {
    public final KafkaBroker kafka;
    public final String reviews;
    public final String sentiments;
    public final String deadLetters;
    public final String health;
    public final String labels;
    public final String samples;
    public final String control;
    public final String routing;

    public StreamingFixture(KafkaBroker kafka, String name) throws java.io.IOException {
        this.kafka = kafka;
        this.reviews = name + "-reviews";
        this.sentiments = name + "-sentiments";
        this.deadLetters = name + "-dlq";
        this.health = name + "-health";
        this.labels = name + "-labels";
        this.samples = name + "-samples";
        this.control = name + "-control";
        this.routing = name + "-routing";
        kafka.createTopics(2, List.of(reviews, sentiments, deadLetters, health, labels, samples));
        kafka.createTopics(1, List.of(routing));
        // As `sentiflow topics create` makes it: a command's age is judged by the broker's clock.
        try (var admin = kafka.admin()) {
            admin.createTopics(
                            List.of(
                                    new org.apache.kafka.clients.admin.NewTopic(
                                                    control, 1, (short) 1)
                                            .configs(
                                                    Map.of(
                                                            "message.timestamp.type",
                                                            "LogAppendTime"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new java.io.IOException("cannot create " + control, e);
        }
    }

    /** The job on these topics, unbounded, exactly-once, with frequent checkpoints. */
    public JobConfig config(Map<String, String> overrides) {
        return JobConfig.of(settings(overrides));
    }

    /** The same configuration as the job's {@code --key value} arguments, for a cluster. */
    public java.util.List<String> args(Map<String, String> overrides) {
        java.util.List<String> args = new java.util.ArrayList<>();
        new java.util.TreeMap<>(settings(overrides))
                .forEach((key, value) -> args.addAll(List.of("--" + key, value)));
        return args;
    }

    private Map<String, String> settings(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>();
        values.put(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        values.put(JobConfig.TOPIC_REVIEWS, reviews);
        values.put(JobConfig.TOPIC_SENTIMENTS, sentiments);
        values.put(JobConfig.TOPIC_DEAD_LETTERS, deadLetters);
        values.put(JobConfig.TOPIC_HEALTH, health);
        values.put(JobConfig.TOPIC_LABELS, labels);
        values.put(JobConfig.TOPIC_SAMPLES, samples);
        values.put(JobConfig.TOPIC_CONTROL, control);
        values.put(JobConfig.TOPIC_ROUTING, routing);
        values.put(JobConfig.GROUP_ID, reviews + "-job");
        values.put(JobConfig.TRANSACTIONAL_ID_PREFIX, reviews);
        values.put(JobConfig.MODEL_PATH, TestModel.directory().toString());
        values.put(JobConfig.DEVICE, "cpu");
        values.put(JobConfig.BATCH_MAX_SIZE, "32");
        values.put(JobConfig.CHECKPOINT_INTERVAL_MS, "500");
        // Tests that kill a TaskManager restart quickly.
        values.put(JobConfig.RESTART_DELAY_MS, "200");
        values.putAll(overrides);
        return values;
    }

    /**
     * Publishes reviews with ids {@code prefix-i} at {@code perSecond} (0: as fast as possible).
     */
    public void produce(List<LabeledText> texts, String prefix, double perSecond) {
        produceTracked(texts, prefix, perSecond);
    }

    /** Where a review landed: its partition and offset. */
    public record Position(int partition, long offset) {}

    /** As {@link #produce}, returning where each review id landed. */
    public Map<String, Position> produceTracked(
            List<LabeledText> texts, String prefix, double perSecond) {
        Map<String, Position> positions = new java.util.concurrent.ConcurrentHashMap<>();
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
            for (int i = 0; i < texts.size(); i++) {
                String id = prefix + "-" + i;
                producer.send(
                        new ProducerRecord<>(
                                reviews,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(
                                        new Review(
                                                id,
                                                texts.get(i).text(),
                                                null,
                                                "test",
                                                System.currentTimeMillis()))),
                        (metadata, error) -> {
                            if (metadata != null) {
                                positions.put(
                                        id, new Position(metadata.partition(), metadata.offset()));
                            }
                        });
                if (perSecond > 0) {
                    long due = start + (long) ((i + 1) * 1e9 / perSecond);
                    LockSupport.parkNanos(Math.max(0, due - System.nanoTime()));
                }
            }
            producer.flush();
        }
        if (positions.size() != texts.size()) {
            throw new IllegalStateException(
                    "only " + positions.size() + " of " + texts.size() + " reviews were sent");
        }
        return positions;
    }

    /**
     * Reads committed sentiments until {@code expectedIds} distinct ids arrived and then for a
     * further {@code settle}, or until {@code timeout}; returns every sentiment read.
     */
    public List<Sentiment> committedSentiments(int expectedIds, Duration settle, Duration timeout) {
        List<Sentiment> all = new java.util.ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                KafkaClients.consumer(kafka.bootstrapServers(), new Properties(), true)) {
            consumer.subscribe(List.of(sentiments));
            long deadline = System.nanoTime() + timeout.toNanos();
            long settledAt = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settledAt)) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(200))) {
                    Sentiment sentiment = Json.sentiment(record.value());
                    all.add(sentiment);
                    ids.add(sentiment.reviewId());
                }
                if (ids.size() >= expectedIds && settledAt == Long.MAX_VALUE) {
                    settledAt = System.nanoTime() + settle.toNanos();
                }
            }
        }
        return all;
    }

    /**
     * Reads committed sentiments until {@code expectedIds} distinct ids arrived and then for a
     * further {@code settle} (so late duplicates would show), or until {@code timeout}.
     *
     * @return how many sentiments each review id received
     */
    public Map<String, Integer> sentimentCounts(
            int expectedIds, Duration settle, Duration timeout) {
        Map<String, Integer> counts = new HashMap<>();
        for (Sentiment sentiment : committedSentiments(expectedIds, settle, timeout)) {
            counts.merge(sentiment.reviewId(), 1, Integer::sum);
        }
        return counts;
    }

    public static void sleepMillis(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** A GET on the cluster's REST API, which must answer 200, as JSON. */
    public static com.fasterxml.jackson.databind.JsonNode rest(
            org.apache.flink.runtime.minicluster.MiniCluster cluster, String path)
            throws Exception {
        java.net.URI uri = cluster.getRestAddress().get().resolve(path);
        java.net.http.HttpResponse<String> response =
                java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(uri).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(response.statusCode())
                .as(response.body())
                .isEqualTo(200);
        return io.sentiflow.schemas.Json.mapper().readTree(response.body());
    }

    /** Failures in the job's exception history, read from the cluster's REST API. */
    public static int recordedFailures(
            org.apache.flink.runtime.minicluster.MiniCluster cluster,
            org.apache.flink.api.common.JobID job)
            throws Exception {
        return rest(cluster, "/jobs/" + job + "/exceptions")
                .path("exceptionHistory")
                .path("entries")
                .size();
    }

    /** Two TaskManagers of one slot each, and restarts allowed: for tests that kill one. */
    public static org.apache.flink.test.junit5.MiniClusterExtension clusterWithRestarts() {
        org.apache.flink.configuration.Configuration conf =
                new org.apache.flink.configuration.Configuration();
        conf.set(
                org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY,
                "fixed-delay");
        conf.set(
                org.apache.flink.configuration.RestartStrategyOptions
                        .RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS,
                100);
        conf.set(
                org.apache.flink.configuration.RestartStrategyOptions
                        .RESTART_STRATEGY_FIXED_DELAY_DELAY,
                Duration.ofMillis(200));
        return new org.apache.flink.test.junit5.MiniClusterExtension(
                new org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(2)
                        .setNumberSlotsPerTaskManager(1)
                        .setConfiguration(conf)
                        .build());
    }
}
