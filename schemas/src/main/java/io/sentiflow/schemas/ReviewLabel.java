package io.sentiflow.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The true label of a review, from a human rater or another system, on the review-labels topic
 * ({@code review-label.v1}); the job joins it with its own prediction for live accuracy.
 *
 * @param reviewId the id of the labelled review
 * @param label {@code positive} or {@code negative}
 * @param labelledBy optional: who labelled it
 * @param labelledAt optional: when, epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReviewLabel(String reviewId, String label, String labelledBy, Long labelledAt) {
    public ReviewLabel {
        Contracts.require(reviewId, "reviewId", "ReviewLabel");
        Contracts.require(label, "label", "ReviewLabel");
        if (reviewId.isEmpty() || reviewId.length() > Review.MAX_ID_LENGTH) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ReviewLabel.reviewId must have 1 to " + Review.MAX_ID_LENGTH + " characters");
        }
        if (!Labels.isValid(label)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ReviewLabel.label must be positive or negative, got '" + label + "'");
        }
    }

    public static ReviewLabel of(String reviewId, String label) {
        return new ReviewLabel(reviewId, label, null, null);
    }
}
