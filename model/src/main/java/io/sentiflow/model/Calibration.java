package io.sentiflow.model;

/**
 * Temperature scaling (Guo et al., 2017): a score is {@code sigmoid(logit / T)} with the one
 * temperature {@code T} that minimises the negative log-likelihood of the validation labels. It
 * changes how sure a score is, never which side of 0.5 it falls on, so accuracy stays the same.
 */
public final class Calibration {
    /** The temperatures searched, as {@code ln T}: from 0.05 to 20. */
    private static final double LOW = Math.log(0.05);

    private static final double HIGH = Math.log(20);
    private static final double GOLDEN = (Math.sqrt(5) - 1) / 2;

    private Calibration() {}

    /**
     * The temperature that fits {@code logits} to {@code positive} best (golden-section search on
     * {@code ln T}; the log-likelihood is convex in {@code 1/T}).
     */
    public static double fitTemperature(float[] logits, boolean[] positive) {
        if (logits.length != positive.length || logits.length == 0) {
            throw new IllegalArgumentException("need as many labels as logits, and at least one");
        }
        double a = LOW;
        double b = HIGH;
        double c = b - GOLDEN * (b - a);
        double d = a + GOLDEN * (b - a);
        double fc = negativeLogLikelihood(logits, positive, Math.exp(c));
        double fd = negativeLogLikelihood(logits, positive, Math.exp(d));
        for (int i = 0; i < 80; i++) {
            if (fc < fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - GOLDEN * (b - a);
                fc = negativeLogLikelihood(logits, positive, Math.exp(c));
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + GOLDEN * (b - a);
                fd = negativeLogLikelihood(logits, positive, Math.exp(d));
            }
        }
        return Math.exp((a + b) / 2);
    }

    /** Mean negative log-likelihood of the labels under {@code sigmoid(logit / t)}. */
    static double negativeLogLikelihood(float[] logits, boolean[] positive, double t) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            double z = logits[i] / t;
            // log(1 + e^-|z|) + max(0, ∓z), stable for large |z|.
            double softplus = Math.log1p(Math.exp(-Math.abs(z)));
            sum += positive[i] ? softplus + Math.max(0, -z) : softplus + Math.max(0, z);
        }
        return sum / logits.length;
    }

    /** The logit of a score: {@code ln(p / (1 - p))}, scores clamped away from 0 and 1. */
    public static float logit(float score) {
        double p = Math.min(1 - 1e-7, Math.max(1e-7, score));
        return (float) Math.log(p / (1 - p));
    }

    /** {@code sigmoid(logit / temperature)}. */
    public static float score(float logit, double temperature) {
        return (float) (1 / (1 + Math.exp(-logit / temperature)));
    }
}
