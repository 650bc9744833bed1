package io.sentiflow.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A movie review to classify: the value of a record on the reviews topic ({@code review.v1}).
 *
 * @param id producer-assigned identifier, required
 * @param text the review text, required and not blank
 * @param label optional true label, {@code positive} or {@code negative}
 * @param source optional free-form origin
 * @param producedAt optional creation time, epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Review(String id, String text, String label, String source, Long producedAt) {

    public static final int MAX_ID_LENGTH = 256;

    public Review {
        Contracts.require(id, "id", "Review");
        Contracts.require(text, "text", "Review");
        if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "Review.id must have 1 to " + MAX_ID_LENGTH + " characters");
        }
        if (text.isBlank()) {
            throw new ContractViolation(DeadLetter.Reason.EMPTY_TEXT, "Review.text is blank");
        }
        if (label != null && !Labels.isValid(label)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "Review.label must be 'positive' or 'negative', got '" + label + "'");
        }
        if (producedAt != null && producedAt < 0) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD, "Review.producedAt must be >= 0");
        }
    }

    /** A review with only the required fields. */
    public static Review of(String id, String text) {
        return new Review(id, text, null, null, null);
    }
}
