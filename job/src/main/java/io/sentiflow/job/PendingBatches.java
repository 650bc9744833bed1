package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;

/**
 * Reviews waiting to be scored, kept in one open batch per length class (up to 16, 32, 64, …
 * tokens), so that a batch is padded only a little beyond its shortest review.
 */
final class PendingBatches {
    private static final int SMALLEST_CLASS = 16;

    private final int[] upperBounds;
    private final List<List<TokenizedReview>> batches = new ArrayList<>();
    private final long[] oldestArrival;
    private final long[] generation;
    private int total;

    /** Length classes doubling from 16 tokens up to {@code maxLength} (the last one open-ended). */
    PendingBatches(int maxLength) {
        List<Integer> bounds = new ArrayList<>();
        for (int bound = SMALLEST_CLASS; bound < maxLength; bound *= 2) {
            bounds.add(bound);
        }
        bounds.add(Integer.MAX_VALUE);
        upperBounds = bounds.stream().mapToInt(Integer::intValue).toArray();
        oldestArrival = new long[upperBounds.length];
        generation = new long[upperBounds.length];
        for (int i = 0; i < upperBounds.length; i++) {
            batches.add(new ArrayList<>());
        }
    }

    int classCount() {
        return upperBounds.length;
    }

    /** The length class of a review with {@code tokens} tokens. */
    int classOf(int tokens) {
        int c = 0;
        while (tokens > upperBounds[c]) {
            c++;
        }
        return c;
    }

    /** Adds a review to its class's open batch and returns the class. */
    int add(TokenizedReview review, long now) {
        // A review without tokens is kept: scoring fails for it alone and dead-letters it.
        int c = classOf(review.tokens == null ? 0 : review.tokens.length);
        if (batches.get(c).isEmpty()) {
            oldestArrival[c] = now;
        }
        batches.get(c).add(review);
        total++;
        return c;
    }

    int size(int lengthClass) {
        return batches.get(lengthClass).size();
    }

    /** Reviews waiting in all classes. */
    int total() {
        return total;
    }

    long oldestArrival(int lengthClass) {
        return oldestArrival[lengthClass];
    }

    /** How many batches of a class have left: a timer for an earlier batch is stale. */
    long generation(int lengthClass) {
        return generation[lengthClass];
    }

    /** Removes and returns a class's open batch. */
    List<TokenizedReview> take(int lengthClass) {
        List<TokenizedReview> batch = batches.get(lengthClass);
        batches.set(lengthClass, new ArrayList<>());
        generation[lengthClass]++;
        total -= batch.size();
        return batch;
    }
}
