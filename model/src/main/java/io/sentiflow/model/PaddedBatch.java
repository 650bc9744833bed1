package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Variable-length id sequences as one N×T array, padded with {@link Vocabulary#PAD} up to the
 * longest sequence of the batch (and at least the widest convolution window; for inference, up to
 * the next of a few lengths): built on the Java side and handed to the engine in one call, not one
 * array per review.
 */
public final class PaddedBatch {
    /** Inference pads to a multiple of this at least. */
    static final int SMALLEST_STEP = 16;

    /** Inference lengths per doubling, beyond {@code 8 × SMALLEST_STEP}. */
    static final int STEPS_PER_DOUBLING = 8;

    private PaddedBatch() {}

    /** The N×T ids of {@code sequences}, in order, in {@code manager}. */
    public static NDArray of(NDManager manager, List<int[]> sequences, int minLength) {
        return padded(manager, sequences, paddedLength(sequences, minLength));
    }

    /**
     * The N×T ids of {@code sequences} for inference, T rounded up to a {@link #step}: libtorch
     * prepares its convolution for each input shape, so calls of every length pay that again and
     * again (measured: calls of 1–4 reviews of random lengths ~4.0 ms each, ~1.8 ms with steps).
     */
    public static NDArray forInference(
            NDManager manager, List<int[]> sequences, int minLength, int maxLength) {
        return padded(manager, sequences, step(paddedLength(sequences, minLength), maxLength));
    }

    /**
     * The most values (N×E×T) that libtorch 2.7 convolves along its native CPU path when a call
     * holds one review ({@code ConvParams::use_mkldnn} in {@code Convolution.cpp}: a batch of one,
     * a kernel not wider than 3 in both dimensions, at most 20,480 input values; any other call
     * goes to oneDNN). That path asks for NNPACK on every call, and where NNPACK cannot start (CPUs
     * whose caches its cpuinfo cannot read, as in many virtual machines, this project's development
     * machine among them) every such call writes "Could not initialize NNPACK! Reason: Unsupported
     * hardware." to the process's stderr once per convolution: at light load, where reviews are
     * scored one by one, about a line per review, with no bound, in a TaskManager's {@code .out}
     * file.
     */
    static final long NATIVE_CONVOLUTION_MAX_VALUES = 20_480;

    /**
     * As {@link #forInference}, for a model on the CPU with {@code embeddingSize}-wide embeddings:
     * a lone review whose call would take libtorch's native convolution ({@link
     * #NATIVE_CONVOLUTION_MAX_VALUES}) gets either the first length past it or an empty second row
     * (scored, then dropped by the caller), whichever convolves fewer positions. Either costs that
     * call more than the native path did (measured on the demo model, lone IMDB reviews of up to
     * 160 tokens, one thread: ~0.9 ms per call native, ~1.0–1.1 ms padded past the limit, ~1.2 ms
     * with a second row); only lone reviews pay it, at loads where calls of one are the rule.
     */
    public static NDArray forCpuInference(
            NDManager manager,
            List<int[]> sequences,
            int minLength,
            int maxLength,
            int embeddingSize) {
        int length = step(paddedLength(sequences, minLength), maxLength);
        if (sequences.size() != 1
                || (long) embeddingSize * length > NATIVE_CONVOLUTION_MAX_VALUES) {
            return padded(manager, sequences, length);
        }
        int pastNative = (int) (NATIVE_CONVOLUTION_MAX_VALUES / embeddingSize + 1);
        if (pastNative <= 2 * length) {
            return padded(manager, sequences, pastNative);
        }
        return padded(manager, List.of(sequences.get(0), new int[0]), length);
    }

    /**
     * {@code length} rounded up to a multiple of an eighth of the largest power of two below it,
     * and of at least {@link #SMALLEST_STEP} (16, 32, …, 256, 288, 320, …, 512, 576, …): at most 8
     * lengths per doubling, adding fewer than 16 tokens of padding up to 128 and at most an eighth
     * beyond. Never past {@code maxLength} unless {@code length} is already past it.
     */
    static int step(int length, int maxLength) {
        int unit =
                Math.max(
                        SMALLEST_STEP,
                        Integer.highestOneBit(Math.max(1, length - 1)) / STEPS_PER_DOUBLING);
        int rounded = (length + unit - 1) / unit * unit;
        return Math.max(length, Math.min(rounded, maxLength));
    }

    private static int paddedLength(List<int[]> sequences, int minLength) {
        int length = minLength;
        for (int[] ids : sequences) {
            length = Math.max(length, ids.length);
        }
        return length;
    }

    private static NDArray padded(NDManager manager, List<int[]> sequences, int length) {
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
