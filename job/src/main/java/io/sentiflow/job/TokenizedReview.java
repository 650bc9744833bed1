package io.sentiflow.job;

/** A review as token ids, ready to score, with the Kafka record it came from. A POJO. */
public class TokenizedReview {
    public String id;
    public int[] tokenIds;
    public KafkaRecord source;

    /** The true label when the producer sent one, else null. */
    public String label;

    public TokenizedReview() {}

    public TokenizedReview(String id, int[] tokenIds, KafkaRecord source) {
        this(id, tokenIds, source, null);
    }

    public TokenizedReview(String id, int[] tokenIds, KafkaRecord source, String label) {
        this.id = id;
        this.tokenIds = tokenIds;
        this.source = source;
        this.label = label;
    }
}
