package io.sentiflow.job;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;

/**
 * Copies each Kafka record into a {@link KafkaRecord} without interpreting it, so a malformed value
 * can never fail the source; {@link ParseReview} decides what it is.
 *
 * <p>The record's timestamp is where latency is measured from. The broker's append time (a topic
 * with {@code message.timestamp.type=LogAppendTime}, as {@code sentiflow topics create} makes the
 * reviews topic) is taken as it is. A producer's own timestamp is believed only when it is not in
 * the future and not older than {@code maxAgeMs}; otherwise the time the job read the record
 * replaces it and {@code timestampsClamped} counts it, so a producer cannot fake latency alerts
 * with a timestamp from long ago.
 */
public final class KafkaRecordDeserializer
        implements KafkaRecordDeserializationSchema<KafkaRecord> {
    private static final long serialVersionUID = 1L;

    /** Clock differences up to this are not worth counting. */
    private static final long FUTURE_TOLERANCE_MS = 1000;

    private final long maxAgeMs;
    private transient Counter clamped;

    public KafkaRecordDeserializer(long maxAgeMs) {
        this.maxAgeMs = maxAgeMs;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        clamped = context.getMetricGroup().counter("timestampsClamped");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaRecord> out) {
        out.collect(
                new KafkaRecord(
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        believableTimestamp(
                                record.timestamp(),
                                record.timestampType(),
                                System.currentTimeMillis()),
                        record.value()));
    }

    /** The timestamp latency starts from, given the record's and the time it was read. */
    long believableTimestamp(long timestamp, TimestampType type, long now) {
        if (type == TimestampType.LOG_APPEND_TIME && timestamp >= 0) {
            return timestamp;
        }
        if (timestamp >= now - maxAgeMs && timestamp <= now) {
            return timestamp;
        }
        if (timestamp < now || timestamp > now + FUTURE_TOLERANCE_MS) {
            count();
        }
        return now;
    }

    private void count() {
        if (clamped != null) {
            clamped.inc();
        }
    }

    @Override
    public TypeInformation<KafkaRecord> getProducedType() {
        return TypeInformation.of(KafkaRecord.class);
    }
}
