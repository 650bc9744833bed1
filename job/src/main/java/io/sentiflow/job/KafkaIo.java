package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelHealth;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The production Kafka source and sinks, built from a {@link JobConfig}. */
public final class KafkaIo {
    /** Kafka brokers cap transactions at 15 minutes by default; Flink's default is one hour. */
    private static final String TRANSACTION_TIMEOUT_MS = String.valueOf(15 * 60 * 1000);

    private KafkaIo() {}

    public static KafkaSource<KafkaRecord> reviewSource(JobConfig config) {
        return source(config, config.reviewsTopic(), startingOffsets(config.startingOffsets()));
    }

    /** The review-labels topic, read like the reviews (same offsets, same boundedness). */
    public static KafkaSource<KafkaRecord> labelSource(JobConfig config) {
        return source(config, config.labelsTopic(), startingOffsets(config.startingOffsets()));
    }

    /**
     * The model-control topic, always from its earliest command: on a fresh start the routing is
     * rebuilt from the command log; after a restore the checkpointed offsets win. Bounded (to the
     * latest command at start) only when the job is.
     */
    public static KafkaSource<KafkaRecord> controlSource(JobConfig config) {
        return controlSource(config, null);
    }

    /**
     * The control topic from its beginning, or — when {@code restored} holds a routing recorded on
     * the routing topic — from the first command after the one it says was judged last.
     */
    public static KafkaSource<KafkaRecord> controlSource(
            JobConfig config, io.sentiflow.schemas.ModelRouting restored) {
        if (restored == null) {
            return source(config, config.controlTopic(), OffsetsInitializer.earliest());
        }
        return source(
                config,
                config.controlTopic(),
                OffsetsInitializer.offsets(
                        java.util.Map.of(
                                new org.apache.kafka.common.TopicPartition(
                                        restored.controlTopic(), restored.controlPartition()),
                                restored.controlOffset() + 1),
                        OffsetResetStrategy.EARLIEST));
    }

    private static KafkaSource<KafkaRecord> source(
            JobConfig config, String topic, OffsetsInitializer start) {
        KafkaSourceBuilder<KafkaRecord> builder =
                KafkaSource.<KafkaRecord>builder()
                        .setBootstrapServers(config.bootstrapServers())
                        .setTopics(topic)
                        .setGroupId(config.groupId())
                        .setDeserializer(
                                new KafkaRecordDeserializer(config.reviewTimestampMaxAgeMs()))
                        .setProperties(config.kafkaProperties())
                        .setProperty("isolation.level", "read_committed")
                        .setStartingOffsets(start);
        if (config.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    private static OffsetsInitializer startingOffsets(String choice) {
        if (choice.startsWith("timestamp:")) {
            return OffsetsInitializer.timestamp(
                    Long.parseLong(choice.substring("timestamp:".length())));
        }
        return switch (choice) {
            case "latest" -> OffsetsInitializer.latest();
            case "committed" -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            default -> OffsetsInitializer.earliest();
        };
    }

    public static KafkaSink<Sentiment> sentimentSink(JobConfig config) {
        KafkaRecordSerializationSchema<Sentiment> serializer =
                (sentiment, context, timestamp) ->
                        new ProducerRecord<>(
                                config.sentimentsTopic(),
                                sentiment.reviewId().getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(sentiment));
        return sink(config, serializer, "sentiments");
    }

    public static KafkaSink<DeadLetter> deadLetterSink(JobConfig config) {
        KafkaRecordSerializationSchema<DeadLetter> serializer =
                (letter, context, timestamp) ->
                        new ProducerRecord<>(
                                config.deadLettersTopic(),
                                (letter.sourceTopic()
                                                + "/"
                                                + letter.sourcePartition()
                                                + "/"
                                                + letter.sourceOffset())
                                        .getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(letter));
        return sink(config, serializer, "dead-letters");
    }

    public static KafkaSink<ReviewSample> sampleSink(JobConfig config) {
        KafkaRecordSerializationSchema<ReviewSample> serializer =
                (sample, context, timestamp) ->
                        new ProducerRecord<>(
                                config.samplesTopic(),
                                sample.reviewId().getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(sample));
        return sink(config, serializer, "review-samples");
    }

    public static KafkaSink<ModelHealth> healthSink(JobConfig config) {
        KafkaRecordSerializationSchema<ModelHealth> serializer =
                (health, context, timestamp) ->
                        new ProducerRecord<>(
                                config.healthTopic(),
                                health.modelVersion().getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(health));
        return sink(config, serializer, "model-health");
    }

    public static KafkaSink<io.sentiflow.schemas.ModelRouting> routingSink(JobConfig config) {
        KafkaRecordSerializationSchema<io.sentiflow.schemas.ModelRouting> serializer =
                (routing, context, timestamp) ->
                        new ProducerRecord<>(
                                config.routingTopic(),
                                ROUTING_KEY.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(routing));
        return sink(config, serializer, "model-routing");
    }

    /**
     * The control topic, for the job's automatic canary decisions: keyed like every command, so
     * they share its one partition and apply in order with the commands of people.
     */
    public static KafkaSink<io.sentiflow.schemas.ModelControl> controlSink(JobConfig config) {
        KafkaRecordSerializationSchema<io.sentiflow.schemas.ModelControl> serializer =
                (command, context, timestamp) ->
                        new ProducerRecord<>(
                                config.controlTopic(),
                                CONTROL_KEY.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(command));
        return sink(config, serializer, "canary-decisions");
    }

    /** The key of every control command. */
    public static final String CONTROL_KEY = "routing";

    /** The one key of the routing topic: compaction keeps its last record. */
    public static final String ROUTING_KEY = "routing";

    /** With exactly-once delivery, how long a record waits for company in the producer. */
    static final String EXACTLY_ONCE_LINGER_MS = "50";

    /** With at-least-once delivery, the same: records are visible as soon as they are sent. */
    static final String AT_LEAST_ONCE_LINGER_MS = "5";

    /**
     * The sinks' producer settings: the user's {@code kafka.*} settings, then these defaults.
     *
     * <p>Fuller requests: fewer of them for the broker and the clients to handle ({@code
     * kafka.linger.ms} and {@code kafka.batch.size} override). With exactly-once delivery a record
     * becomes visible only when the checkpoint that covers it commits, and the sink flushes its
     * producer before that commit, so waiting up to 50 ms for company delays no {@code
     * read_committed} reader (a {@code read_uncommitted} one may see a record up to ~45 ms later);
     * measured at 1,000 reviews/s on 2 cores: the broker's and the clients' CPU per review ~25 %
     * lower than with 5 ms (three interleaved pairs). With at-least-once a record is visible once
     * sent, so it waits at most 5 ms.
     */
    static Properties producerProperties(JobConfig config) {
        Properties producer = config.kafkaProperties();
        producer.putIfAbsent("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS);
        producer.putIfAbsent(
                "linger.ms",
                config.exactlyOnce() ? EXACTLY_ONCE_LINGER_MS : AT_LEAST_ONCE_LINGER_MS);
        producer.putIfAbsent("batch.size", "65536");
        // Every record the job writes is bounded by this (dead letters cut their values, health
        // records their event lists, samples too large are not sent); JobConfig checks the sums.
        producer.setProperty("max.request.size", String.valueOf(config.outputMaxRecordBytes()));
        return producer;
    }

    private static <T> KafkaSink<T> sink(
            JobConfig config, KafkaRecordSerializationSchema<T> serializer, String name) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setKafkaProducerConfig(producerProperties(config))
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(
                        config.exactlyOnce()
                                ? DeliveryGuarantee.EXACTLY_ONCE
                                : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-" + name)
                .build();
    }
}
