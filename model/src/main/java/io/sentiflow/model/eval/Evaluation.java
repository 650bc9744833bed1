package io.sentiflow.model.eval;

/**
 * How well scores separate labels: accuracy, precision, recall and F1 of the positive class at 0.5,
 * ROC-AUC, the confusion matrix, the expected calibration error over 10 equal-width bins, and the
 * 10-bin score histogram (the reference for drift checks).
 */
public record Evaluation(
        int count,
        double accuracy,
        double precision,
        double recall,
        double f1,
        double rocAuc,
        long truePositives,
        long falsePositives,
        long trueNegatives,
        long falseNegatives,
        double expectedCalibrationError,
        long[] scoreHistogram) {

    public static final int BINS = 10;

    /** Evaluates {@code scores} (P(positive)) against {@code positive} labels. */
    public static Evaluation of(float[] scores, boolean[] positive) {
        if (scores.length != positive.length || scores.length == 0) {
            throw new IllegalArgumentException("need as many labels as scores, and at least one");
        }
        long tp = 0, fp = 0, tn = 0, fn = 0;
        long[] histogram = new long[BINS];
        double[] binScore = new double[BINS];
        long[] binPositive = new long[BINS];
        for (int i = 0; i < scores.length; i++) {
            boolean predicted = scores[i] >= 0.5f;
            if (predicted && positive[i]) tp++;
            else if (predicted) fp++;
            else if (positive[i]) fn++;
            else tn++;
            int bin = bin(scores[i]);
            histogram[bin]++;
            binScore[bin] += scores[i];
            binPositive[bin] += positive[i] ? 1 : 0;
        }
        double ece = 0;
        for (int b = 0; b < BINS; b++) {
            if (histogram[b] > 0) {
                double confidence = binScore[b] / histogram[b];
                double frequency = binPositive[b] / (double) histogram[b];
                ece += histogram[b] / (double) scores.length * Math.abs(confidence - frequency);
            }
        }
        double precision = tp + fp == 0 ? 0 : tp / (double) (tp + fp);
        double recall = tp + fn == 0 ? 0 : tp / (double) (tp + fn);
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new Evaluation(
                scores.length,
                (tp + tn) / (double) scores.length,
                precision,
                recall,
                f1,
                RocCurve.of(scores, positive).auc(),
                tp,
                fp,
                tn,
                fn,
                ece,
                histogram);
    }

    /** The histogram bin of a score: [0, 0.1), [0.1, 0.2), … [0.9, 1.0]. */
    public static int bin(double score) {
        return Math.min(BINS - 1, Math.max(0, (int) (score * BINS)));
    }
}
