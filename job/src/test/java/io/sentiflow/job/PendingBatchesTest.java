package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PendingBatchesTest {
    private static TokenizedReview ofLength(int tokens) {
        return new TokenizedReview("r" + tokens, new String[tokens], new KafkaRecord());
    }

    @Test
    void lengthClassesShouldDoubleUpToTheMaxLength() {
        PendingBatches pending = new PendingBatches(400);
        assertThat(pending.classCount()).isEqualTo(6); // 16, 32, 64, 128, 256, rest
        assertThat(pending.classOf(1)).isEqualTo(0);
        assertThat(pending.classOf(16)).isEqualTo(0);
        assertThat(pending.classOf(17)).isEqualTo(1);
        assertThat(pending.classOf(256)).isEqualTo(4);
        assertThat(pending.classOf(400)).isEqualTo(5);
        assertThat(pending.classOf(100_000)).isEqualTo(5);
    }

    @Test
    void takingABatchShouldEmptyOnlyItsClass() {
        PendingBatches pending = new PendingBatches(400);
        pending.add(ofLength(10), 5);
        pending.add(ofLength(12), 9);
        pending.add(ofLength(300), 7);
        assertThat(pending.total()).isEqualTo(3);
        assertThat(pending.oldestArrival(0)).isEqualTo(5);
        assertThat(pending.take(0)).extracting(r -> r.id).containsExactly("r10", "r12");
        assertThat(pending.size(0)).isZero();
        assertThat(pending.total()).isEqualTo(1);
        pending.add(ofLength(3), 20);
        assertThat(pending.oldestArrival(0)).as("a new batch starts its own clock").isEqualTo(20);
    }
}
