package io.sentiflow.job;

/** A prediction whose true label arrived later on the review-labels topic. A POJO. */
public class LabelledPrediction {
    public String modelVersion;
    public boolean predictedPositive;
    public boolean actualPositive;

    /**
     * Whether the review waited in the hashed fraction, not because the model was unsure of it or
     * it drifted: only such labels compare versions fairly (a canary analysis counts only these).
     */
    public boolean representative;

    public LabelledPrediction() {}

    public LabelledPrediction(
            String modelVersion,
            boolean predictedPositive,
            boolean actualPositive,
            boolean representative) {
        this.modelVersion = modelVersion;
        this.predictedPositive = predictedPositive;
        this.actualPositive = actualPositive;
        this.representative = representative;
    }
}
