package io.sentiflow.job;

import io.sentiflow.schemas.Sentiment;

/**
 * What scoring one review produced, with what model health needs beside the sentiment: the true
 * label when known, and how many of its tokens the vocabulary did not know. A POJO.
 */
public class ScoredReview {
    public String reviewId;
    public double score;
    public String modelVersion;
    public String device;
    public long scoredAt;
    public long latencyMs;
    public String label;
    public int tokens;
    public int unknownTokens;

    /** Whether the review was also sent to review-samples for labelling. */
    public boolean sampled;

    public ScoredReview() {}

    public Sentiment toSentiment() {
        return Sentiment.of(reviewId, score, modelVersion, scoredAt, latencyMs);
    }
}
