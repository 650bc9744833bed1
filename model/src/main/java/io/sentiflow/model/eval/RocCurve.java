package io.sentiflow.model.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** The ROC curve (false vs true positive rate over all thresholds) and the area under it. */
public record RocCurve(double[] falsePositiveRates, double[] truePositiveRates) {

    public static RocCurve of(float[] scores, boolean[] positive) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        long positives = 0;
        for (boolean p : positive) {
            positives += p ? 1 : 0;
        }
        long negatives = scores.length - positives;
        List<double[]> points = new ArrayList<>();
        points.add(new double[] {0, 0});
        long tp = 0, fp = 0;
        for (int k = 0; k < order.length; k++) {
            if (positive[order[k]]) tp++;
            else fp++;
            // one point per distinct threshold, so ties do not make a staircase
            if (k + 1 == order.length || scores[order[k + 1]] != scores[order[k]]) {
                points.add(
                        new double[] {
                            negatives == 0 ? 0 : fp / (double) negatives,
                            positives == 0 ? 0 : tp / (double) positives
                        });
            }
        }
        double[] fpr = new double[points.size()];
        double[] tpr = new double[points.size()];
        for (int i = 0; i < fpr.length; i++) {
            fpr[i] = points.get(i)[0];
            tpr[i] = points.get(i)[1];
        }
        return new RocCurve(fpr, tpr);
    }

    /** Area under the curve, by the trapezoid rule; 0.5 is chance. */
    public double auc() {
        double area = 0;
        for (int i = 1; i < falsePositiveRates.length; i++) {
            area +=
                    (falsePositiveRates[i] - falsePositiveRates[i - 1])
                            * (truePositiveRates[i] + truePositiveRates[i - 1])
                            / 2;
        }
        return area;
    }
}
