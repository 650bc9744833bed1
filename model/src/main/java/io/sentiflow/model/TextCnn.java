package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * Kim's (2014) convolutional sentence classifier: embed the tokens, convolve windows of several
 * widths, keep each filter's strongest response, and read one logit from the concatenation.
 *
 * <p>Input: token ids, N×T int64, padded at the end with {@link Vocabulary#PAD}. Output: one logit
 * per review, N×1; {@code sigmoid(logit)} is P(positive).
 *
 * <p>Positions whose window reaches into the padding are masked out before the max-pool, so a
 * review gets the same score whatever it is batched with and however far the batch is padded.
 */
public final class TextCnn extends AbstractBlock {
    private static final byte VERSION = 1;

    private final TextCnnConfig config;
    private final Block embedding;
    private final List<Block> convolutions = new ArrayList<>();
    private final Block dropout;
    private final Block output;

    public TextCnn(TextCnnConfig config) {
        this(config, null);
    }

    /**
     * @param initialEmbeddings row-major {@code vocabularySize × embeddingSize} vectors the
     *     embedding table starts from (pre-trained word vectors); null for random ones
     */
    public TextCnn(TextCnnConfig config, float[] initialEmbeddings) {
        super(VERSION);
        this.config = config;
        embedding =
                addChildBlock(
                        "embedding",
                        new TokenEmbedding(
                                config.vocabularySize(),
                                config.embeddingSize(),
                                initialEmbeddings));
        for (int width : config.kernelSizes()) {
            convolutions.add(
                    addChildBlock(
                            "conv" + width,
                            Conv1d.builder()
                                    .setKernelShape(new Shape(width))
                                    .setFilters(config.filters())
                                    .build()));
        }
        dropout = addChildBlock("dropout", Dropout.builder().optRate(config.dropout()).build());
        output = addChildBlock("output", Linear.builder().setUnits(1).build());
    }

    public TextCnnConfig config() {
        return config;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        long batch = ids.getShape().get(0);
        NDArray lengths = ids.neq(Vocabulary.PAD).sum(new int[] {1}).reshape(batch, 1);
        NDArray joined = pooled(store, ids, training, lengths);
        NDArray dropped = dropout.forward(store, new NDList(joined), training).singletonOrThrow();
        return output.forward(store, new NDList(dropped), training);
    }

    /**
     * The logits of a batch for inference, the same as {@link #forward} gives but with fewer engine
     * calls and fewer full-size arrays: the review lengths are known here, so each width's padding
     * mask is made in Java and handed over once, and none is made when no review of the batch is
     * padded (every review as long as T: since the scorer pads T up to a step, mostly reviews at
     * the model's maximum length). The mask is added in place to the convolution's output (−∞ where
     * a window reaches into padding) and the ReLU comes after the max-pool, on N×F values instead
     * of N×F×P ({@code max(relu(x)) = relu(max(x))}, the ReLU being monotonic): the same logits bit
     * for bit, with two passes over the largest arrays of the call saved (measured: 3–5 % less CPU
     * per review on the demo model). Every engine call costs tens of microseconds whatever the
     * batch size.
     *
     * @param ids the batch, N×T, padded at the end
     * @param lengths each review's length in tokens (at most T)
     */
    public NDArray infer(ParameterStore store, NDArray ids, int[] lengths) {
        int positions = (int) ids.getShape().get(1);
        boolean padded = false;
        for (int length : lengths) {
            padded |= length < positions;
        }
        NDManager manager = ids.getManager();
        NDArray embedded = embedded(store, ids, false);
        NDList pooled = new NDList();
        for (int i = 0; i < convolutions.size(); i++) {
            int width = config.kernelSizes().get(i);
            NDArray features =
                    convolutions
                            .get(i)
                            .forward(store, new NDList(embedded), false)
                            .singletonOrThrow();
            if (padded) {
                features.addi(paddingBias(manager, lengths, positions - width + 1, width));
            }
            pooled.add(Activation.relu(features.max(new int[] {2})));
        }
        NDArray joined = NDArrays.concat(pooled, 1);
        return output.forward(store, new NDList(joined), false).singletonOrThrow();
    }

    /**
     * N×1×P: 0 where a window of {@code width} lies wholly inside its review, −∞ where it reaches
     * into padding (a review shorter than the window has no window: its feature pools to −∞, which
     * the ReLU makes 0, as the masked pooling of {@link #forward} gives).
     */
    private static NDArray paddingBias(NDManager manager, int[] lengths, int positions, int width) {
        float[] bias = new float[lengths.length * positions];
        java.util.Arrays.fill(bias, Float.NEGATIVE_INFINITY);
        for (int row = 0; row < lengths.length; row++) {
            int valid = Math.min(positions, Math.max(0, lengths[row] - width + 1));
            java.util.Arrays.fill(bias, row * positions, row * positions + valid, 0f);
        }
        return manager.create(bias, new Shape(lengths.length, 1, positions));
    }

    /**
     * Each width's max-pooled ReLU features, side by side (N×F·K), with the window positions that
     * reach into padding zeroed before the pooling.
     *
     * @param lengths N×1, each review's length
     */
    private NDArray pooled(ParameterStore store, NDArray ids, boolean training, NDArray lengths) {
        NDArray embedded = embedded(store, ids, training);
        NDList pooled = new NDList();
        for (int i = 0; i < convolutions.size(); i++) {
            Block convolution = convolutions.get(i);
            NDArray features =
                    Activation.relu(
                            training
                                    ? unfolded(store, convolution, embedded)
                                    : convolution
                                            .forward(store, new NDList(embedded), training)
                                            .singletonOrThrow());
            pooled.add(
                    maskPadding(features, lengths, config.kernelSizes().get(i)).max(new int[] {2}));
        }
        return NDArrays.concat(pooled, 1);
    }

    /** The embedded batch, N×E×T (from N×T×E): Conv1d convolves over the last axis. */
    private NDArray embedded(ParameterStore store, NDArray ids, boolean training) {
        return embedding
                .forward(store, new NDList(ids), training)
                .singletonOrThrow()
                .transpose(0, 2, 1);
    }

    /**
     * The same convolution as {@code convolution.forward}, with its own weights, as one matrix
     * product over the windows laid side by side (im2col): training differentiates through slices
     * and a matrix product instead of libtorch's convolution backward, whose gradient for the input
     * came back with NaN at random on a 2-core AVX-512 machine (in the embedding's gradient, up to
     * a quarter of the steps of a small model).
     *
     * @param input N×E×T
     * @return N×F×P, P = T − width + 1
     */
    private static NDArray unfolded(ParameterStore store, Block convolution, NDArray input) {
        NDArray weight =
                store.getValue(convolution.getParameters().get("weight"), input.getDevice(), true);
        NDArray bias =
                store.getValue(convolution.getParameters().get("bias"), input.getDevice(), true);
        long batch = input.getShape().get(0);
        long channels = input.getShape().get(1);
        long filters = weight.getShape().get(0);
        int width = (int) weight.getShape().get(2);
        long positions = input.getShape().get(2) - width + 1;
        NDList shifted = new NDList();
        for (int k = 0; k < width; k++) {
            shifted.add(input.get(":, :, {}:{}", k, k + positions));
        }
        // N×E×P×K → N×P×(E·K), in the order of the weight's own E×K layout.
        NDArray windows =
                NDArrays.stack(shifted, 3)
                        .transpose(0, 2, 1, 3)
                        .reshape(batch, positions, channels * width);
        return windows.matMul(weight.reshape(filters, channels * width).transpose())
                .add(bias)
                .transpose(0, 2, 1);
    }

    /** Zeroes window positions that do not lie wholly inside the review (features are ≥ 0). */
    private static NDArray maskPadding(NDArray features, NDArray lengths, int width) {
        long positions = features.getShape().get(2);
        NDManager manager = features.getManager();
        NDArray index = manager.arange(0, positions, 1, DataType.INT64).reshape(1, positions);
        NDArray valid = index.lt(lengths.sub(width - 1)).toType(features.getDataType(), false);
        return features.mul(valid.expandDims(1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), 1)};
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        long batch = ids.get(0);
        embedding.initialize(manager, dataType, ids);
        Shape convolutionInput = new Shape(batch, config.embeddingSize(), ids.get(1));
        for (Block convolution : convolutions) {
            convolution.initialize(manager, dataType, convolutionInput);
        }
        Shape joined = new Shape(batch, (long) config.filters() * convolutions.size());
        dropout.initialize(manager, dataType, joined);
        output.initialize(manager, dataType, joined);
    }
}
