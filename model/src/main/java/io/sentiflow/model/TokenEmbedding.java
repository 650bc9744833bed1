package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * A trainable lookup table from token ids (N×T, int64) to vectors (N×T×E).
 *
 * <p>DJL's {@code TrainableWordEmbedding} maps strings through its own vocabulary; ids are already
 * mapped by {@link Vocabulary}, so this block only holds the table.
 */
final class TokenEmbedding extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int embeddingSize;
    private final Parameter table;

    TokenEmbedding(int vocabularySize, int embeddingSize) {
        this(vocabularySize, embeddingSize, null);
    }

    /**
     * @param initial row-major {@code vocabularySize × embeddingSize} starting vectors (e.g. from
     *     {@link io.sentiflow.model.embedding.SkipGram}); null for random ones
     */
    TokenEmbedding(int vocabularySize, int embeddingSize, float[] initial) {
        super(VERSION);
        if (initial != null && initial.length != (long) vocabularySize * embeddingSize) {
            throw new IllegalArgumentException(
                    "initial vectors hold "
                            + initial.length
                            + " values, not "
                            + vocabularySize
                            + " × "
                            + embeddingSize);
        }
        this.embeddingSize = embeddingSize;
        this.table =
                addParameter(
                        Parameter.builder()
                                .setName("embedding")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(vocabularySize, embeddingSize))
                                .optInitializer(
                                        initial == null
                                                ? new NormalInitializer(0.1f)
                                                : (manager, shape, type) ->
                                                        manager.create(initial, shape)
                                                                .toType(type, false))
                                .build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        NDArray weights = store.getValue(table, ids.getDevice(), training);
        return Embedding.embedding(ids, weights, SparseFormat.DENSE);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].addAll(new Shape(embeddingSize))};
    }
}
