package io.sentiflow.job;

/**
 * A review as tokens, ready to be routed to a model version, with the Kafka record it came from.
 * {@link ScoreBatch} fills in the version and its token ids. A POJO.
 */
public class TokenizedReview {
    public String id;
    public String[] tokens;
    public KafkaRecord source;

    /** The true label when the producer sent one, else null. */
    public String label;

    /** The version that scores it, once routed. */
    public String modelVersion;

    /** The tokens in that version's vocabulary, once routed. */
    public int[] tokenIds;

    public TokenizedReview() {}

    public TokenizedReview(String id, String[] tokens, KafkaRecord source) {
        this(id, tokens, source, null);
    }

    public TokenizedReview(String id, String[] tokens, KafkaRecord source, String label) {
        this.id = id;
        this.tokens = tokens;
        this.source = source;
        this.label = label;
    }
}
