package io.sentiflow.job;

/** A review that passed its contract, with the Kafka coordinates it came from. A POJO. */
public class ParsedReview {
    public String id;
    public String text;
    public String label;
    public KafkaRecord source;

    public ParsedReview() {}

    public ParsedReview(String id, String text, String label, KafkaRecord source) {
        this.id = id;
        this.text = text;
        this.label = label;
        this.source = source;
    }
}
