package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A uniform random sample (reservoir sampling) of the reviews one scoring subtask scored with one
 * model version in one window: when the window's score histogram drifted from the training
 * reference, the sample goes out for labelling. Plain Java, no Flink.
 */
final class DriftWindow {
    /** Fewer scored reviews than this never count as drift: the histogram would be noise. */
    static final int MIN_REVIEWS = 50;

    /** A sampled review and its score. */
    record Sampled(ParsedReview review, float score) {}

    private final int capacity;
    private final Random random;
    private final List<Sampled> sample = new ArrayList<>();
    private long offered;

    /**
     * @param capacity the most reviews sampled per window
     */
    DriftWindow(int capacity, long seed) {
        this.capacity = capacity;
        this.random = new Random(seed);
    }

    /** Offers a review to the sample. */
    void offer(ParsedReview review, float score) {
        if (capacity == 0) {
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

    /**
     * The population stability index of a window's scores against the reference, or null when there
     * is no reference or too few scores.
     */
    static Double drift(long[] histogram, long scored, long[] reference) {
        if (reference == null || scored < MIN_REVIEWS) {
            return null;
        }
        return HealthAccumulator.populationStabilityIndex(histogram, reference);
    }

    /** The sample when the window drifted past {@code threshold}, else nothing. */
    List<Sampled> samplesIfDrifted(Double drift, double threshold) {
        return drift != null && drift > threshold ? List.copyOf(sample) : List.of();
    }
}
