package io.sentiflow.job;

/**
 * A record as read from Kafka, untouched: where it came from, its timestamp and its value bytes. A
 * POJO so Flink serializes it without Kryo.
 */
public class KafkaRecord {
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] value;

    public KafkaRecord() {}

    public KafkaRecord(String topic, int partition, long offset, long timestamp, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.value = value;
    }
}
