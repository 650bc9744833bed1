package io.sentiflow.job;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reviews waiting to be scored, in one queue per model version and length class (up to 16, 32, 64,
 * … tokens), so that a batch is padded only a little beyond its shortest review. Plain Java, used
 * by one thread.
 *
 * <p>Adaptive batching: {@link #next} hands out whatever waits in the queue whose oldest review
 * waited longest, up to {@code maxSize} reviews, as soon as the scorer asks. At low load a review
 * is scored alone at once; under load reviews gather while the previous batch is on the device. A
 * positive {@code minDelayMs} adds a lower bound on fill: a queue then leaves only when full or
 * when its oldest review has waited that long.
 */
final class Batcher {
    private static final int SMALLEST_CLASS = 16;

    /** A review waiting this long gets its queue the scorer's next turn. */
    static final long FAIRNESS_MS = 50;

    /** A batch for the scorer: one version, similar lengths, in arrival order. */
    record Batch(String version, List<ReviewToScore> reviews) {}

    private final int maxSize;
    private final long minDelayMs;
    private final Map<String, Map<Integer, ArrayDeque<ReviewToScore>>> queues =
            new LinkedHashMap<>();
    private int size;

    Batcher(int maxSize, long minDelayMs) {
        if (maxSize < 1 || minDelayMs < 0) {
            throw new IllegalArgumentException("maxSize must be positive, minDelayMs >= 0");
        }
        this.maxSize = maxSize;
        this.minDelayMs = minDelayMs;
    }

    /** The length class of a review with {@code tokens} tokens: 0 for ≤ 16, 1 for ≤ 32, … */
    static int classOf(int tokens) {
        int lengthClass = 0;
        for (int bound = SMALLEST_CLASS; tokens > bound; bound *= 2) {
            lengthClass++;
        }
        return lengthClass;
    }

    void add(ReviewToScore review) {
        queues.computeIfAbsent(review.version(), v -> new LinkedHashMap<>())
                .computeIfAbsent(classOf(review.ids().length), c -> new ArrayDeque<>())
                .addLast(review);
        size++;
    }

    /** Reviews waiting, in every queue. */
    int size() {
        return size;
    }

    /**
     * The next batch to score at {@code now}, or null when none may leave yet: the queue whose
     * oldest review waited longest, up to {@code maxSize} reviews. With {@code force} (before a
     * checkpoint barrier, at the end of input) any queue leaves, whatever the minimum delay.
     */
    Batch next(long now, boolean force) {
        String bestVersion = null;
        ArrayDeque<ReviewToScore> best = null;
        int bestRank = -1;
        for (Map.Entry<String, Map<Integer, ArrayDeque<ReviewToScore>>> version :
                queues.entrySet()) {
            for (ArrayDeque<ReviewToScore> queue : version.getValue().values()) {
                if (queue.isEmpty() || !(force || ready(queue, now))) {
                    continue;
                }
                int rank = rank(queue, now);
                if (best == null
                        || rank > bestRank
                        || (rank == bestRank && better(queue, best, rank))) {
                    best = queue;
                    bestRank = rank;
                    bestVersion = version.getKey();
                }
            }
        }
        if (best == null) {
            return null;
        }
        List<ReviewToScore> batch = new ArrayList<>(Math.min(maxSize, best.size()));
        while (!best.isEmpty() && batch.size() < maxSize) {
            batch.add(best.pollFirst());
        }
        size -= batch.size();
        return new Batch(bestVersion, batch);
    }

    /** 2: full; 1: its oldest review waited past the fairness bound; 0: neither. */
    private int rank(ArrayDeque<ReviewToScore> queue, long now) {
        if (queue.size() >= maxSize) {
            return 2;
        }
        return now - queue.peekFirst().arrivedAt() >= FAIRNESS_MS ? 1 : 0;
    }

    /** Among queues of the same rank: full or overdue ones by age, the others by size. */
    private static boolean better(
            ArrayDeque<ReviewToScore> queue, ArrayDeque<ReviewToScore> best, int rank) {
        long age = queue.peekFirst().arrivedAt();
        long bestAge = best.peekFirst().arrivedAt();
        if (rank > 0) {
            return age < bestAge;
        }
        return queue.size() > best.size() || (queue.size() == best.size() && age < bestAge);
    }

    private boolean ready(ArrayDeque<ReviewToScore> queue, long now) {
        return minDelayMs == 0
                || queue.size() >= maxSize
                || now - queue.peekFirst().arrivedAt() >= minDelayMs;
    }

    /**
     * When the next queue may leave though none is full, or {@code Long.MAX_VALUE} when nothing
     * waits; only meaningful with a minimum delay.
     */
    long nextDeadline() {
        long deadline = Long.MAX_VALUE;
        for (Map<Integer, ArrayDeque<ReviewToScore>> byClass : queues.values()) {
            for (ArrayDeque<ReviewToScore> queue : byClass.values()) {
                if (!queue.isEmpty()) {
                    deadline = Math.min(deadline, queue.peekFirst().arrivedAt() + minDelayMs);
                }
            }
        }
        return deadline;
    }

    /** Drops the (empty) queues of a version that is no longer resident. */
    void forget(String version) {
        Map<Integer, ArrayDeque<ReviewToScore>> byClass = queues.get(version);
        if (byClass != null && byClass.values().stream().allMatch(ArrayDeque::isEmpty)) {
            queues.remove(version);
        }
    }
}
