package io.sentiflow.job;

/**
 * A review that passed its contract, with where and when it was read. The record's value bytes are
 * left behind: every rejection that needs them happens in {@link ParseReview}. A POJO.
 */
public class ParsedReview {
    public String id;
    public String text;

    /** The true label when the producer sent one, else null. */
    public String label;

    public String topic;
    public int partition;
    public long offset;

    /** When latency starts: see {@link KafkaRecordDeserializer}. */
    public long timestamp;

    public ParsedReview() {}

    public ParsedReview(String id, String text, String label, KafkaRecord source) {
        this.id = id;
        this.text = text;
        this.label = label;
        this.topic = source.topic;
        this.partition = source.partition;
        this.offset = source.offset;
        this.timestamp = source.timestamp;
    }
}
