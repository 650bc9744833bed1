package io.sentiflow.model.data;

/**
 * A review with its true label.
 *
 * @param text the review text
 * @param positive true for a positive review
 */
public record LabeledText(String text, boolean positive) {
    public LabeledText {
        if (text == null) {
            throw new IllegalArgumentException("text is required");
        }
    }

    /** 1 for positive, 0 for negative: the target of the binary cross-entropy. */
    public float target() {
        return positive ? 1f : 0f;
    }
}
