package io.sentiflow.job;

/** A scored review that waits for its true label: which version predicted what. A POJO. */
public class Prediction {
    public String reviewId;
    public String modelVersion;
    public boolean positive;

    public Prediction() {}

    public Prediction(String reviewId, String modelVersion, boolean positive) {
        this.reviewId = reviewId;
        this.modelVersion = modelVersion;
        this.positive = positive;
    }
}
