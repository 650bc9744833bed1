package io.sentiflow.job;

/** A prediction whose true label arrived later on the review-labels topic. A POJO. */
public class LabelledPrediction {
    public String modelVersion;
    public boolean predictedPositive;
    public boolean actualPositive;

    public LabelledPrediction() {}

    public LabelledPrediction(
            String modelVersion, boolean predictedPositive, boolean actualPositive) {
        this.modelVersion = modelVersion;
        this.predictedPositive = predictedPositive;
        this.actualPositive = actualPositive;
    }
}
