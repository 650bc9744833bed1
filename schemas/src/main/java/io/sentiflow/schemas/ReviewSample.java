package io.sentiflow.schemas;

/**
 * A review the model was unsure about, routed out for labelling ({@code review-sample.v1}). Add a
 * {@code label} to the line and it is training data: {@code sentiflow train --extra samples.jsonl}.
 *
 * @param reviewId the review's id
 * @param text the review text
 * @param score the model's P(positive), near 0.5
 * @param modelVersion the model that was unsure
 * @param scoredAt when it was scored, epoch milliseconds
 * @param reason why it was sampled: {@code uncertain} (score near 0.5) or {@code drift} (from a
 *     window whose scores drifted)
 */
public record ReviewSample(
        String reviewId,
        String text,
        double score,
        String modelVersion,
        long scoredAt,
        String reason) {
    public ReviewSample {
        Contracts.require(reviewId, "reviewId", "ReviewSample");
        Contracts.require(text, "text", "ReviewSample");
        Contracts.require(modelVersion, "modelVersion", "ReviewSample");
        Contracts.require(reason, "reason", "ReviewSample");
    }
}
