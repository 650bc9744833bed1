package io.sentiflow.model;

import java.util.List;

/**
 * Hyperparameters of the {@link TextCnn}, named as in Kim (2014).
 *
 * @param vocabularySize rows of the embedding table, including PAD and UNK
 * @param embeddingSize width of a token's embedding
 * @param filters convolution filters per kernel size
 * @param kernelSizes widths of the convolution windows, in tokens
 * @param dropout dropout rate before the output layer
 */
public record TextCnnConfig(
        int vocabularySize,
        int embeddingSize,
        int filters,
        List<Integer> kernelSizes,
        float dropout) {

    /** The seed's architecture: embedding 300, 100 filters for each of 3, 4 and 5, dropout 0.5. */
    public static TextCnnConfig defaults(int vocabularySize) {
        return new TextCnnConfig(vocabularySize, 300, 100, List.of(3, 4, 5), 0.5f);
    }

    public TextCnnConfig {
        kernelSizes = List.copyOf(kernelSizes);
        if (vocabularySize < 3) {
            throw new IllegalArgumentException(
                    "vocabularySize must be >= 3, got " + vocabularySize);
        }
        if (embeddingSize < 1 || filters < 1) {
            throw new IllegalArgumentException("embeddingSize and filters must be positive");
        }
        if (kernelSizes.isEmpty() || kernelSizes.stream().anyMatch(k -> k < 1)) {
            throw new IllegalArgumentException("kernelSizes must be positive, got " + kernelSizes);
        }
        if (dropout < 0f || dropout >= 1f) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
    }

    public TextCnnConfig withEmbeddingSize(int size) {
        return new TextCnnConfig(vocabularySize, size, filters, kernelSizes, dropout);
    }

    /** The widest window: a batch is never padded to fewer tokens than this. */
    public int maxKernelSize() {
        return kernelSizes.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }
}
