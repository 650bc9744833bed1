package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One model version's scores in one scoring subtask over one window, with a uniform random sample
 * of its reviews (reservoir sampling): when the window's score histogram has drifted from the
 * training reference, the sample goes out for labelling. Plain Java, no Flink.
 */
final class DriftWindow {
    /** Fewer scored reviews than this never count as drift: the histogram would be noise. */
    static final int MIN_REVIEWS = 50;

    /** A sampled review and its score. */
    record Sampled(TokenizedReview review, float score) {}

    private final long[] reference;
    private final int capacity;
    private final Random random;
    private final long[] histogram = new long[HealthAccumulator.BINS];
    private final List<Sampled> sample = new ArrayList<>();
    private long scored;
    private long offered;

    /**
     * @param reference the model's training score histogram; null disables the check
     * @param capacity the most reviews sampled per window
     */
    DriftWindow(long[] reference, int capacity, long seed) {
        this.reference = reference;
        this.capacity = capacity;
        this.random = new Random(seed);
    }

    /** Counts a score; {@code sampleable} reviews may enter the sample. */
    void add(TokenizedReview review, float score, boolean sampleable) {
        scored++;
        histogram[HealthAccumulator.bin(score)]++;
        if (!sampleable || capacity == 0) {
            return;
        }
        offered++;
        if (sample.size() < capacity) {
            sample.add(new Sampled(review, score));
        } else {
            long slot = (long) (random.nextDouble() * offered);
            if (slot < capacity) {
                sample.set((int) slot, new Sampled(review, score));
            }
        }
    }

    /** The window's population stability index against the reference, or null when unknown. */
    Double drift() {
        if (reference == null || scored < MIN_REVIEWS) {
            return null;
        }
        return HealthAccumulator.populationStabilityIndex(histogram, reference);
    }

    /** The sample when the window drifted past {@code threshold}, else nothing. */
    List<Sampled> samplesIfDrifted(double threshold) {
        Double drift = drift();
        return drift != null && drift > threshold ? List.copyOf(sample) : List.of();
    }

    long scored() {
        return scored;
    }
}
