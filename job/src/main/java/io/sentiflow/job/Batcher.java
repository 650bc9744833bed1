package io.sentiflow.job;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
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
 * when its oldest review has waited that long. While the scorer is loaded ({@link ScorerLoad}),
 * {@link #loadDelay} sets such a bound for the time being.
 *
 * <p>Sorted windows: when a queue holds two batches or more (a backlog), the whole batches waiting
 * in it — at most {@code windowBatches} of them (8 by default) — are sorted by length and handed
 * out shortest first, so each batch is padded to little more than its own longest review. Every
 * review of a window leaves before any review that came after the window was sorted, so nothing
 * waits longer than that window's batches. At low load no queue holds two batches and order is
 * arrival order. A window is also bounded by {@code batch.max-pending}: no more reviews wait in all
 * queues.
 */
final class Batcher {
    private static final int SMALLEST_CLASS = 16;

    /** A review waiting this long gets its queue the scorer's next turn. */
    static final long FAIRNESS_MS = 50;

    /** The most batches of a queue sorted together under a backlog, by default. */
    static final int DEFAULT_WINDOW_BATCHES = 8;

    /** A batch for the scorer: one version, similar lengths, in arrival or length order. */
    record Batch(String version, List<ReviewToScore> reviews) {
        /** When its oldest review arrived (from a sorted window, not necessarily the first). */
        long oldestArrival() {
            long oldest = Long.MAX_VALUE;
            for (ReviewToScore review : reviews) {
                oldest = Math.min(oldest, review.arrivedAt());
            }
            return oldest;
        }

        /** The bytes of its reviews' texts. */
        long textBytes() {
            long bytes = 0;
            for (ReviewToScore review : reviews) {
                bytes += review.review().textBytes.length;
            }
            return bytes;
        }
    }

    private final int maxSize;
    private final long minDelayMs;
    private final int windowBatches;
    private long loadDelayMs;
    private final Map<String, Map<Integer, LengthQueue>> queues = new LinkedHashMap<>();
    private int size;
    private long textBytes;

    Batcher(int maxSize, long minDelayMs) {
        this(maxSize, minDelayMs, DEFAULT_WINDOW_BATCHES);
    }

    /**
     * @param windowBatches the most batches of a queue sorted together under a backlog; 0 or 1
     *     sorts none
     */
    Batcher(int maxSize, long minDelayMs, int windowBatches) {
        if (maxSize < 1 || minDelayMs < 0 || windowBatches < 0) {
            throw new IllegalArgumentException(
                    "maxSize must be positive, minDelayMs and windowBatches >= 0");
        }
        this.maxSize = maxSize;
        this.minDelayMs = minDelayMs;
        this.windowBatches = windowBatches;
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
                .computeIfAbsent(classOf(review.ids().length), c -> new LengthQueue())
                .reviews
                .addLast(review);
        size++;
        textBytes += review.review().textBytes.length;
    }

    /** Reviews waiting, in every queue. */
    int size() {
        return size;
    }

    /** The bytes of the texts of the reviews waiting (as a checkpoint keeps them). */
    long textBytes() {
        return textBytes;
    }

    /** Every review waiting, queue by queue; for a checkpoint. */
    List<ReviewToScore> waiting() {
        List<ReviewToScore> all = new ArrayList<>(size);
        for (Map<Integer, LengthQueue> byClass : queues.values()) {
            for (LengthQueue queue : byClass.values()) {
                all.addAll(queue.reviews);
            }
        }
        return all;
    }

    /**
     * The next batch to score at {@code now}, or null when none may leave yet: the queue whose
     * oldest review waited longest, up to {@code maxSize} reviews. With {@code force} (before the
     * routing changes, at the end of input, when a checkpoint would keep too much text) any queue
     * leaves, whatever the minimum delay.
     */
    Batch next(long now, boolean force) {
        return next(now, force, maxSize);
    }

    /** As {@link #next(long, boolean)}, with at most {@code limit} reviews. */
    Batch next(long now, boolean force, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a batch holds at least one review");
        }
        String bestVersion = null;
        LengthQueue best = null;
        int bestRank = -1;
        for (Map.Entry<String, Map<Integer, LengthQueue>> version : queues.entrySet()) {
            for (LengthQueue queue : version.getValue().values()) {
                if (queue.reviews.isEmpty() || !(force || ready(queue, now))) {
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
        return new Batch(bestVersion, best.take(Math.min(limit, maxSize)));
    }

    /** 2: full; 1: its oldest review waited past the fairness bound; 0: neither. */
    private int rank(LengthQueue queue, long now) {
        if (queue.reviews.size() >= maxSize) {
            return 2;
        }
        return now - queue.oldest() >= FAIRNESS_MS ? 1 : 0;
    }

    /** Among queues of the same rank: full or overdue ones by age, the others by size. */
    private static boolean better(LengthQueue queue, LengthQueue best, int rank) {
        long age = queue.oldest();
        long bestAge = best.oldest();
        if (rank > 0) {
            return age < bestAge;
        }
        int waiting = queue.reviews.size();
        int bestWaiting = best.reviews.size();
        return waiting > bestWaiting || (waiting == bestWaiting && age < bestAge);
    }

    private boolean ready(LengthQueue queue, long now) {
        long delay = delayMs();
        return delay == 0 || queue.reviews.size() >= maxSize || now - queue.oldest() >= delay;
    }

    /**
     * Sets the minimum delay that applies while the scorer is loaded ({@link ScorerLoad}); 0 when
     * it is not. The larger of this and the configured minimum delay applies.
     */
    void loadDelay(long delayMs) {
        if (delayMs < 0) {
            throw new IllegalArgumentException("a load delay must be >= 0");
        }
        loadDelayMs = delayMs;
    }

    private long delayMs() {
        return Math.max(minDelayMs, loadDelayMs);
    }

    /**
     * When the next queue may leave though none is full, or {@code Long.MAX_VALUE} when nothing
     * waits; only meaningful with a minimum delay or a load delay.
     */
    long nextDeadline() {
        long deadline = Long.MAX_VALUE;
        for (Map<Integer, LengthQueue> byClass : queues.values()) {
            for (LengthQueue queue : byClass.values()) {
                if (!queue.reviews.isEmpty()) {
                    deadline = Math.min(deadline, queue.oldest() + delayMs());
                }
            }
        }
        return deadline;
    }

    /** Drops the (empty) queues of a version that is no longer resident. */
    void forget(String version) {
        Map<Integer, LengthQueue> byClass = queues.get(version);
        if (byClass != null && byClass.values().stream().allMatch(q -> q.reviews.isEmpty())) {
            queues.remove(version);
        }
    }

    /**
     * The reviews of one version and length class, in arrival order except for a sorted window at
     * their head while one is being handed out.
     */
    private final class LengthQueue {
        final ArrayDeque<ReviewToScore> reviews = new ArrayDeque<>();

        /** Reviews at the head that belong to the window being handed out. */
        private int windowLeft;

        /** When the window's oldest review arrived (its head is its shortest, not its oldest). */
        private long windowOldest;

        /** When the oldest review waiting here arrived, or at most that while a window is out. */
        long oldest() {
            return windowLeft > 0 ? windowOldest : reviews.peekFirst().arrivedAt();
        }

        /**
         * Up to {@code limit} reviews from the head, sorting a new window first if one is due (not
         * for batches of one: sorting them saves no padding).
         */
        List<ReviewToScore> take(int limit) {
            if (windowLeft == 0 && limit > 1 && windowBatches > 1 && reviews.size() >= 2 * limit) {
                sortWindow(Math.min(reviews.size() / limit, windowBatches) * limit);
            }
            List<ReviewToScore> batch = new ArrayList<>(Math.min(limit, reviews.size()));
            while (!reviews.isEmpty() && batch.size() < limit) {
                batch.add(reviews.pollFirst());
            }
            windowLeft = Math.max(0, windowLeft - batch.size());
            size -= batch.size();
            for (ReviewToScore review : batch) {
                textBytes -= review.review().textBytes.length;
            }
            return batch;
        }

        private void sortWindow(int length) {
            List<ReviewToScore> window = new ArrayList<>(length);
            long oldestArrival = Long.MAX_VALUE;
            for (int i = 0; i < length; i++) {
                ReviewToScore review = reviews.pollFirst();
                oldestArrival = Math.min(oldestArrival, review.arrivedAt());
                window.add(review);
            }
            window.sort(Comparator.comparingInt(review -> review.ids().length));
            for (int i = window.size() - 1; i >= 0; i--) {
                reviews.addFirst(window.get(i));
            }
            windowLeft = length;
            windowOldest = oldestArrival;
        }
    }
}
