package io.sentiflow.job;

import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelRouting;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the routing a previous run of the job recorded last on the routing topic (committed records
 * only), where the job graph is built: a fresh start begins from it.
 */
final class RoutingLog {
    private static final Logger LOG = LoggerFactory.getLogger(RoutingLog.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private RoutingLog() {}

    /**
     * The last routing recorded for this job's control topic, or null when there is none.
     *
     * @throws IllegalStateException when the last record is not a {@code model-routing.v1}
     */
    static ModelRouting last(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        TopicPartition partition = new TopicPartition(config.routingTopic(), 0);
        ConsumerRecord<byte[], byte[]> last = null;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition, TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "could not read " + config.routingTopic() + " within " + TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() != null) {
                        last = record;
                    }
                }
            }
        }
        if (last == null) {
            return null;
        }
        ModelRouting routing;
        try {
            routing = Json.modelRouting(last.value());
        } catch (ContractViolation e) {
            throw new IllegalStateException(
                    config.routingTopic()
                            + " holds a record that is not model-routing.v1 at offset "
                            + last.offset()
                            + " ("
                            + e.getMessage()
                            + "); remove it, or start with --"
                            + JobConfig.ROUTING_RESTORE
                            + " false",
                    e);
        }
        if (!routing.controlTopic().equals(config.controlTopic())) {
            LOG.warn(
                    "{} was recorded for control topic {}, not {}: starting from {} instead",
                    config.routingTopic(),
                    routing.controlTopic(),
                    config.controlTopic(),
                    JobConfig.MODEL_VERSION);
            return null;
        }
        return routing;
    }
}
