package io.sentiflow.schemas;

/**
 * The job's prediction for one review: the value of a record on the sentiments topic ({@code
 * sentiment.v1}).
 *
 * @param reviewId the id of the scored review
 * @param label {@code positive} when {@code score >= 0.5}, else {@code negative}
 * @param score P(positive) in [0, 1]
 * @param modelVersion name and version of the model that scored it
 * @param scoredAt scoring time, epoch milliseconds
 * @param latencyMs from the review's Kafka timestamp to scoring
 */
public record Sentiment(
        String reviewId,
        String label,
        double score,
        String modelVersion,
        long scoredAt,
        long latencyMs) {

    public Sentiment {
        Contracts.require(reviewId, "reviewId", "Sentiment");
        Contracts.require(label, "label", "Sentiment");
        Contracts.require(modelVersion, "modelVersion", "Sentiment");
        if (!Labels.isValid(label)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD, "Sentiment.label must be positive|negative");
        }
        if (!(score >= 0.0 && score <= 1.0)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "Sentiment.score must be in [0, 1], got " + score);
        }
        if (scoredAt < 0 || latencyMs < 0) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "Sentiment.scoredAt and latencyMs must be >= 0");
        }
    }

    /** The sentiment for a score, with the label derived from it. */
    public static Sentiment of(
            String reviewId, double score, String modelVersion, long scoredAt, long latencyMs) {
        return new Sentiment(
                reviewId, Labels.forScore(score), score, modelVersion, scoredAt, latencyMs);
    }
}
