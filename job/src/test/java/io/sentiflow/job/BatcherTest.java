package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatcherTest {
    private static ReviewToScore review(String id, String version, int tokens, long at) {
        return review(id, version, tokens, at, "");
    }

    private static ReviewToScore review(
            String id, String version, int tokens, long at, String text) {
        ParsedReview review = new ParsedReview();
        review.id = id;
        review.setText(text);
        return new ReviewToScore(review, text, version, new int[tokens], at);
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
                .as("forcing takes it (the end of input, a routing change)")
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
    void aLoadDelayShouldHoldAPartialQueueOnlyWhileItIsSet() {
        Batcher batcher = new Batcher(3, 0);
        batcher.add(review("a", "v1", 5, 100));
        // Not loaded: adaptive batching, the lone review leaves at once.
        assertThat(ids(batcher.next(100, false))).containsExactly("a");
        batcher.loadDelay(10);
        batcher.add(review("b", "v1", 5, 200));
        batcher.add(review("c", "v1", 5, 203));
        assertThat(batcher.next(209, false)).isNull();
        assertThat(batcher.nextDeadline()).isEqualTo(210);
        assertThat(ids(batcher.next(210, false))).containsExactly("b", "c");
        // A full queue does not wait, loaded or not.
        batcher.add(review("d", "v1", 5, 300));
        batcher.add(review("e", "v1", 5, 301));
        batcher.add(review("f", "v1", 5, 302));
        assertThat(ids(batcher.next(302, false))).containsExactly("d", "e", "f");
        // The larger of the two delays applies; back to 0, nothing waits again.
        Batcher delayed = new Batcher(3, 50);
        delayed.loadDelay(10);
        delayed.add(review("g", "v1", 5, 400));
        assertThat(delayed.next(440, false)).isNull();
        assertThat(delayed.nextDeadline()).isEqualTo(450);
        batcher.loadDelay(0);
        batcher.add(review("h", "v1", 5, 500));
        assertThat(ids(batcher.next(500, false))).containsExactly("h");
        assertThatThrownBy(() -> batcher.loadDelay(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBacklogShouldLeaveInSortedWindowsThatNothingLaterOvertakes() {
        Batcher batcher = new Batcher(4, 0);
        // Twelve reviews of one length class (129-256 tokens), lengths in no order.
        int[] lengths = {250, 130, 200, 140, 256, 190, 135, 220, 160, 245, 170, 131};
        for (int i = 0; i < lengths.length; i++) {
            batcher.add(review("r" + i, "v1", lengths[i], i));
        }
        List<Integer> first = tokens(batcher.next(20, false));
        assertThat(first)
                .as("the shortest four of the twelve, not the first four to arrive")
                .containsExactly(130, 131, 135, 140);
        // A short review arrives after the window was sorted: it waits for the window's end.
        batcher.add(review("late", "v1", 129, 21));
        assertThat(tokens(batcher.next(22, false))).containsExactly(160, 170, 190, 200);
        assertThat(tokens(batcher.next(23, false))).containsExactly(220, 245, 250, 256);
        assertThat(ids(batcher.next(24, false))).containsExactly("late");
        // Under two batches waiting, arrival order: no review is held back for a shorter one.
        batcher.add(review("x", "v1", 250, 30));
        batcher.add(review("y", "v1", 130, 31));
        batcher.add(review("z", "v1", 200, 32));
        batcher.add(review("w", "v1", 140, 33));
        batcher.add(review("v", "v1", 135, 34));
        assertThat(ids(batcher.next(35, false))).containsExactly("x", "y", "z", "w");
    }

    @Test
    void aSortedWindowShouldKeepItsQueuesAgeAgainstOtherQueues() {
        Batcher batcher = new Batcher(2, 0);
        batcher.add(review("old-long", "v1", 250, 0));
        batcher.add(review("short-1", "v1", 5, 5));
        batcher.add(review("short-2", "v1", 5, 6));
        batcher.add(review("a", "v1", 130, 10));
        batcher.add(review("b", "v1", 131, 11));
        batcher.add(review("c", "v1", 132, 12));
        // Both queues are full; the long one is older (0 against 5) and sorts its window.
        assertThat(ids(batcher.next(13, false))).containsExactly("a", "b");
        // The window's head is now c (arrived at 12), but its oldest review (0) still waits: among
        // full queues the oldest goes first, so it goes before the short queue (5).
        assertThat(ids(batcher.next(14, false))).containsExactly("c", "old-long");
        assertThat(ids(batcher.next(14, false))).containsExactly("short-1", "short-2");
    }

    @Test
    void aWindowShouldHoldAtMostWindowBatchesAndBatchesOfOneAreNotSorted() {
        Batcher batcher = new Batcher(2, 0);
        // Twenty reviews, longest first: a window takes the first 8 batches (16 reviews) only.
        int total = 2 * (Batcher.DEFAULT_WINDOW_BATCHES + 2);
        for (int i = 0; i < total; i++) {
            batcher.add(review("r" + i, "v1", 250 - i, i));
        }
        List<Integer> first = tokens(batcher.next(100, false));
        assertThat(first)
                .as("the shortest of the window, not of all twenty")
                .containsExactly(
                        250 - 2 * Batcher.DEFAULT_WINDOW_BATCHES + 1,
                        250 - 2 * Batcher.DEFAULT_WINDOW_BATCHES + 2);
        assertThat(batcher.next(100, false).oldestArrival())
                .as("a batch's oldest review, not its first")
                .isEqualTo(2 * Batcher.DEFAULT_WINDOW_BATCHES - 4);
        // A tail of an odd size: the last batch holds what is left.
        Batcher tail = new Batcher(4, 0);
        for (int i = 0; i < 10; i++) {
            tail.add(review("t" + i, "v1", 200 - i, i));
        }
        List<Integer> sizes = new java.util.ArrayList<>();
        List<String> last = List.of();
        for (Batcher.Batch b = tail.next(50, false); b != null; b = tail.next(50, false)) {
            sizes.add(b.reviews().size());
            last = ids(b);
        }
        assertThat(last)
                .as("the two beyond the window, in arrival order")
                .containsExactly("t8", "t9");
        assertThat(sizes).containsExactly(4, 4, 2);
        // A window of 3 batches: the shortest of the first six, not of all ten.
        Batcher three = new Batcher(2, 0, 3);
        for (int i = 0; i < 10; i++) {
            three.add(review("w" + i, "v1", 200 - i, i));
        }
        assertThat(ids(three.next(50, false))).containsExactly("w5", "w4");
        // Windows switched off (batch.sort-window 0) or of one batch: arrival order under a
        // backlog too.
        for (int window : new int[] {0, 1}) {
            Batcher unsorted = new Batcher(2, 0, window);
            unsorted.add(review("u0", "v1", 250, 0));
            unsorted.add(review("u1", "v1", 130, 1));
            unsorted.add(review("u2", "v1", 200, 2));
            unsorted.add(review("u3", "v1", 140, 3));
            assertThat(ids(unsorted.next(4, false)))
                    .as("window " + window)
                    .containsExactly("u0", "u1");
        }
        // Batches of one gain nothing from sorting: arrival order.
        Batcher single = new Batcher(1, 0);
        single.add(review("long", "v1", 250, 0));
        single.add(review("short", "v1", 130, 1));
        single.add(review("mid", "v1", 200, 2));
        assertThat(ids(single.next(3, false))).containsExactly("long");
        assertThat(ids(single.next(3, false))).containsExactly("short");
    }

    private static List<Integer> tokens(Batcher.Batch batch) {
        return batch.reviews().stream().map(r -> r.ids().length).toList();
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
        assertThatThrownBy(() -> new Batcher(4, 0, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWaitingTextBytesShouldFollowWhatIsAddedAndTaken() {
        Batcher batcher = new Batcher(2, 0);
        batcher.add(review("a", "v1", 5, 0, "abc"));
        batcher.add(review("b", "v1", 5, 0, "\u00e9t\u00e9")); // Latin-1: 3 bytes
        batcher.add(review("c", "v1", 5, 0, "\u263a")); // UTF-16: 2 bytes
        batcher.add(review("d", "v2", 40, 0, "defg"));
        assertThat(batcher.textBytes()).isEqualTo(3 + 3 + 2 + 4);
        assertThat(batcher.waiting())
                .extracting(r -> r.review().id)
                .containsExactlyInAnyOrder("a", "b", "c", "d");
        Batcher.Batch first = batcher.next(0, true);
        assertThat(first.textBytes()).isEqualTo(6);
        assertThat(batcher.textBytes()).isEqualTo(6);
        batcher.next(0, true);
        batcher.next(0, true);
        assertThat(batcher.textBytes()).isZero();
        assertThat(batcher.waiting()).isEmpty();
    }

    @Test
    void aForcedBatchShouldTakeAtMostItsLimit() {
        Batcher batcher = new Batcher(8, 1_000);
        for (int i = 0; i < 5; i++) {
            batcher.add(review("r" + i, "v1", 5, i, "x".repeat(10)));
        }
        assertThat(ids(batcher.next(5, true, 2))).containsExactly("r0", "r1");
        assertThat(batcher.textBytes()).isEqualTo(30);
        assertThat(ids(batcher.next(5, true, 100))).as("never beyond maxSize").hasSize(3);
        assertThatThrownBy(() -> batcher.next(5, true, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWaitingTextBytesShouldStayExactThroughSortedWindows() {
        Batcher batcher = new Batcher(2, 0, 8);
        java.util.Map<String, Integer> bytes = new java.util.HashMap<>();
        for (int i = 0; i < 7; i++) {
            String text = "y".repeat(3 + 5 * ((i * 3) % 7));
            bytes.put("w" + i, text.length());
            // Lengths out of arrival order, one queue: a backlog of three batches is sorted.
            batcher.add(review("w" + i, "v1", 1 + (i * 3) % 7, i, text));
        }
        long expected = bytes.values().stream().mapToLong(Integer::longValue).sum();
        while (batcher.size() > 0) {
            assertThat(batcher.textBytes()).isEqualTo(expected);
            Batcher.Batch batch = batcher.next(10, false);
            for (String id : ids(batch)) {
                expected -= bytes.get(id);
            }
        }
        assertThat(batcher.textBytes()).isZero();
        batcher.forget("v1");
        assertThat(batcher.textBytes()).isZero();
        assertThat(batcher.waiting()).isEmpty();
    }
}
