package io.sentiflow.model;

import java.util.List;

/**
 * Everything {@link TextCnnTrainer} needs to know; {@link #defaults()} is the seed's network with
 * settings that train in minutes on a 2-core CPU.
 *
 * @param name model name written to config.json
 * @param version model version written to config.json
 * @param embeddingSize embedding width
 * @param filters filters per kernel size
 * @param kernelSizes convolution window widths
 * @param dropout dropout rate
 * @param maxLength tokens kept per review
 * @param maxVocabulary most vocabulary entries, PAD and UNK included
 * @param minFrequency fewest occurrences for a token to get its own id
 * @param epochs passes over the training data
 * @param batchSize reviews per optimizer step
 * @param learningRate Adam's learning rate
 * @param validationFraction share of the data held out to pick the best epoch
 * @param seed seeds the shuffle, the split and the network's initialization
 */
public record TrainingOptions(
        String name,
        String version,
        int embeddingSize,
        int filters,
        List<Integer> kernelSizes,
        float dropout,
        int maxLength,
        int maxVocabulary,
        int minFrequency,
        int epochs,
        int batchSize,
        float learningRate,
        double validationFraction,
        long seed) {

    public TrainingOptions {
        kernelSizes = List.copyOf(kernelSizes);
        if (epochs < 1 || batchSize < 1 || maxLength < 1 || minFrequency < 1) {
            throw new IllegalArgumentException(
                    "epochs, batchSize, maxLength and minFrequency must be positive");
        }
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in (0, 1)");
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learningRate must be positive");
        }
    }

    /** The seed's network (embedding 300, 3×100 filters of 3, 4, 5, dropout 0.5). */
    public static TrainingOptions defaults() {
        return new TrainingOptions(
                "textcnn-imdb",
                "1",
                300,
                100,
                List.of(3, 4, 5),
                0.5f,
                400,
                20_000,
                2,
                3,
                64,
                1e-3f,
                0.1,
                42L);
    }

    public TrainingOptions withEmbeddingSize(int size) {
        return new TrainingOptions(
                name,
                version,
                size,
                filters,
                kernelSizes,
                dropout,
                maxLength,
                maxVocabulary,
                minFrequency,
                epochs,
                batchSize,
                learningRate,
                validationFraction,
                seed);
    }

    public TrainingOptions withSchedule(int newEpochs, int newMaxLength, int newMaxVocabulary) {
        return new TrainingOptions(
                name,
                version,
                embeddingSize,
                filters,
                kernelSizes,
                dropout,
                newMaxLength,
                newMaxVocabulary,
                minFrequency,
                newEpochs,
                batchSize,
                learningRate,
                validationFraction,
                seed);
    }

    public TrainingOptions withIdentity(String newName, String newVersion) {
        return new TrainingOptions(
                newName,
                newVersion,
                embeddingSize,
                filters,
                kernelSizes,
                dropout,
                maxLength,
                maxVocabulary,
                minFrequency,
                epochs,
                batchSize,
                learningRate,
                validationFraction,
                seed);
    }

    public TrainingOptions withSeed(long newSeed) {
        return new TrainingOptions(
                name,
                version,
                embeddingSize,
                filters,
                kernelSizes,
                dropout,
                maxLength,
                maxVocabulary,
                minFrequency,
                epochs,
                batchSize,
                learningRate,
                validationFraction,
                newSeed);
    }
}
