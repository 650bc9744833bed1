package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BatcherTest {
    private static ReviewToScore review(String id, String version, int tokens, long at) {
        ParsedReview review = new ParsedReview();
        review.id = id;
        return new ReviewToScore(review, "", version, new int[tokens], at);
    }

    private static java.util.List<String> ids(Batcher.Batch batch) {
        return batch.reviews().stream().map(r -> r.review().id).toList();
    }

    @Test
    void lengthClassesShouldDouble() {
        assertThat(Batcher.classOf(0)).isZero();
        assertThat(Batcher.classOf(16)).isZero();
        assertThat(Batcher.classOf(17)).isEqualTo(1);
        assertThat(Batcher.classOf(256)).isEqualTo(4);
        assertThat(Batcher.classOf(257)).isEqualTo(5);
    }

    @Test
    void adaptiveBatchingShouldPreferFullThenOverdueThenFullestQueues() {
        Batcher batcher = new Batcher(3, 0);
        assertThat(batcher.next(0, false)).isNull();
        batcher.add(review("long-1", "v1", 200, 5));
        batcher.add(review("short-1", "v1", 10, 6));
        batcher.add(review("short-2", "v1", 12, 7));
        batcher.add(review("short-3", "v1", 3, 8));
        batcher.add(review("short-4", "v1", 9, 9));
        batcher.add(review("canary-1", "v2", 9, 1));
        batcher.add(review("canary-2", "v2", 9, 2));
        assertThat(batcher.size()).isEqualTo(7);
        // A full queue leaves first, at most maxSize of it, in arrival order.
        Batcher.Batch shorts = batcher.next(10, false);
        assertThat(shorts.version()).isEqualTo("v1");
        assertThat(ids(shorts)).containsExactly("short-1", "short-2", "short-3");
        // None full, none overdue: the fullest queue (the canary's two) makes the larger batch.
        assertThat(ids(batcher.next(10, false))).containsExactly("canary-1", "canary-2");
        // Past the fairness bound, age decides: long-1 (5) before short-4 (9).
        long later = 9 + Batcher.FAIRNESS_MS;
        assertThat(ids(batcher.next(later, false))).containsExactly("long-1");
        assertThat(ids(batcher.next(later, false))).containsExactly("short-4");
        assertThat(batcher.size()).isZero();
        assertThat(batcher.next(later, false)).isNull();
    }

    @Test
    void aMinimumDelayShouldHoldAPartialQueueUntilItHasWaitedOrIsForced() {
        Batcher batcher = new Batcher(3, 50);
        batcher.add(review("a", "v1", 5, 100));
        batcher.add(review("b", "v1", 5, 120));
        assertThat(batcher.next(149, false)).isNull();
        assertThat(batcher.nextDeadline()).isEqualTo(150);
        assertThat(ids(batcher.next(149, true)))
                .as("a barrier forces it")
                .containsExactly("a", "b");
        batcher.add(review("c", "v1", 5, 200));
        batcher.add(review("d", "v1", 5, 201));
        batcher.add(review("e", "v1", 5, 202));
        assertThat(ids(batcher.next(203, false)))
                .as("a full queue leaves")
                .containsExactly("c", "d", "e");
        assertThat(batcher.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void anUnloadedVersionsEmptyQueuesShouldBeForgotten() {
        Batcher batcher = new Batcher(3, 0);
        batcher.add(review("a", "gone", 5, 1));
        batcher.forget("gone");
        assertThat(batcher.size()).as("a version with waiting reviews is kept").isEqualTo(1);
        assertThat(ids(batcher.next(2, false))).containsExactly("a");
        batcher.forget("gone");
        assertThat(batcher.next(2, true)).isNull();
        assertThatThrownBy(() -> new Batcher(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
