package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PaddedBatchTest {
    @Test
    void inferenceLengthsComeInAFewStepsWithLittlePadding() {
        Set<Integer> steps = new HashSet<>();
        for (int length = 1; length <= 800; length++) {
            int step = PaddedBatch.step(length, 800);
            assertThat(step).isGreaterThanOrEqualTo(length).isLessThanOrEqualTo(800);
            if (length > 128) {
                assertThat((double) step / length).isLessThanOrEqualTo(1.125);
            } else {
                assertThat(step - length).isLessThan(16);
            }
            steps.add(step);
        }
        // 16 … 256 in steps of 16, then 32 to 512, then 64 to 800.
        assertThat(steps).hasSize(16 + 8 + 5);
        assertThat(PaddedBatch.step(190, 800)).isEqualTo(192);
        assertThat(PaddedBatch.step(257, 800)).isEqualTo(288);
    }

    @Test
    void noStepGoesPastTheModelsMaximumLength() {
        assertThat(PaddedBatch.step(250, 256)).isEqualTo(256);
        assertThat(PaddedBatch.step(241, 250)).isEqualTo(250);
        assertThat(PaddedBatch.step(300, 256)).as("already longer: kept").isEqualTo(300);
    }

    /**
     * On the CPU a lone review whose call would take libtorch's native convolution (N×E×T at most
     * 20,480) is shaped past it: the first length beyond, or an empty second row when that is
     * cheaper; other calls keep their steps.
     */
    @Test
    void aLoneReviewOnTheCpuIsShapedPastTheNativeConvolution() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // The demo model's 128-wide embeddings: 161 tokens are the first past 20,480 values.
            assertThat(cpuShape(manager, 128, new int[17])).containsExactly(2, 32);
            assertThat(cpuShape(manager, 128, new int[70])).containsExactly(2, 80);
            assertThat(cpuShape(manager, 128, new int[81])).containsExactly(1, 161);
            assertThat(cpuShape(manager, 128, new int[150])).containsExactly(1, 161);
            assertThat(cpuShape(manager, 128, new int[170])).containsExactly(1, 176);
            assertThat(cpuShape(manager, 128, new int[17], new int[5])).containsExactly(2, 32);
            // The near-free model's 8: an empty row, never 2,561 tokens.
            assertThat(cpuShape(manager, 8, new int[60])).containsExactly(2, 64);
            NDArray paired =
                    PaddedBatch.forCpuInference(manager, List.of(new int[] {4, 5}), 5, 256, 128);
            assertThat(paired.toLongArray()).containsOnly(4, 5, Vocabulary.PAD);
            assertThat(paired.get(1).toLongArray()).containsOnly(Vocabulary.PAD);
        }
    }

    private static long[] cpuShape(NDManager manager, int embeddingSize, int[]... reviews) {
        return PaddedBatch.forCpuInference(manager, List.of(reviews), 5, 256, embeddingSize)
                .getShape()
                .getShape();
    }

    @Test
    void anInferenceBatchIsPaddedToItsStepAndKeepsEveryId() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray ids =
                    PaddedBatch.forInference(
                            manager, List.of(new int[] {4, 5, 6}, new int[] {7}), 5, 256);

            assertThat(ids.getShape().getShape()).containsExactly(2, 16);
            long[] flat = ids.toLongArray();
            assertThat(flat[0]).isEqualTo(4);
            assertThat(flat[2]).isEqualTo(6);
            assertThat(flat[3]).isEqualTo(Vocabulary.PAD);
            assertThat(flat[16]).isEqualTo(7);
            assertThat(flat[31]).isEqualTo(Vocabulary.PAD);
        }
    }
}
