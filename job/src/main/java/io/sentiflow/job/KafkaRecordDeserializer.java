package io.sentiflow.job;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Copies each Kafka record into a {@link KafkaRecord} without interpreting it, so a malformed value
 * can never fail the source; {@link ParseReview} decides what it is.
 */
public final class KafkaRecordDeserializer
        implements KafkaRecordDeserializationSchema<KafkaRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaRecord> out) {
        out.collect(
                new KafkaRecord(
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        Math.max(0, record.timestamp()),
                        record.value()));
    }

    @Override
    public TypeInformation<KafkaRecord> getProducedType() {
        return TypeInformation.of(KafkaRecord.class);
    }
}
