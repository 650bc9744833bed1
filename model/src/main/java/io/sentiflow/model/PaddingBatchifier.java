package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;

/**
 * Stacks variable-length id sequences into one N×T batch, padding with {@link Vocabulary#PAD} only
 * up to the longest sequence of this batch (and at least {@code minLength}, the widest convolution
 * window).
 */
public final class PaddingBatchifier implements Batchifier {
    private static final long serialVersionUID = 1L;

    private final int minLength;

    public PaddingBatchifier(int minLength) {
        this.minLength = minLength;
    }

    @Override
    public NDList batchify(NDList[] inputs) {
        long longest = minLength;
        for (NDList input : inputs) {
            longest = Math.max(longest, input.singletonOrThrow().getShape().get(0));
        }
        NDArray[] rows = new NDArray[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            rows[i] = pad(inputs[i].singletonOrThrow(), longest);
        }
        return new NDList(NDArrays.stack(new NDList(rows)));
    }

    private static NDArray pad(NDArray ids, long length) {
        long missing = length - ids.getShape().get(0);
        if (missing == 0) {
            return ids;
        }
        NDArray padding = ids.getManager().zeros(new Shape(missing), ids.getDataType());
        return ids.getShape().get(0) == 0 ? padding : ids.concat(padding);
    }

    @Override
    public NDList[] unbatchify(NDList inputs) {
        return Batchifier.STACK.unbatchify(inputs);
    }

    @Override
    public NDList[] split(NDList list, int numOfSlices, boolean evenUp) {
        return Batchifier.STACK.split(list, numOfSlices, evenUp);
    }
}
