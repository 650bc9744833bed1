package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Variable-length id sequences as one N×T array, padded with {@link Vocabulary#PAD} only up to the
 * longest sequence of the batch (and at least the widest convolution window): built on the Java
 * side and handed to the engine in one call, not one array per review.
 */
public final class PaddedBatch {
    private PaddedBatch() {}

    /** The N×T ids of {@code sequences}, in order, in {@code manager}. */
    public static NDArray of(NDManager manager, List<int[]> sequences, int minLength) {
        int length = minLength;
        for (int[] ids : sequences) {
            length = Math.max(length, ids.length);
        }
        long[] flat = new long[sequences.size() * length];
        for (int row = 0; row < sequences.size(); row++) {
            int[] ids = sequences.get(row);
            int offset = row * length;
            for (int t = 0; t < ids.length; t++) {
                flat[offset + t] = ids[t];
            }
        }
        return manager.create(flat, new Shape(sequences.size(), length));
    }

    /** The logistic function, without overflow for large |logit|. */
    public static float sigmoid(float logit) {
        if (logit >= 0) {
            return (float) (1.0 / (1.0 + Math.exp(-logit)));
        }
        double e = Math.exp(logit);
        return (float) (e / (1.0 + e));
    }
}
