package io.sentiflow.model;

import java.util.List;

/**
 * Everything {@link TextCnnTrainer} needs to know. {@link #defaults()} is the seed's network
 * (embedding 300, 100 filters each of widths 3, 4, 5, dropout 0.5) and its 80/20 validation split.
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
 * @param epochs most passes over the training data
 * @param patience stop after this many epochs without a better validation accuracy; 0 never stops
 *     early
 * @param batchSize reviews per optimizer step
 * @param learningRate Adam's learning rate
 * @param learningRateDecay the learning rate is multiplied by this after every epoch from {@code
 *     fullRateEpochs} on; 1 keeps it
 * @param fullRateEpochs epochs trained at the full learning rate before it starts to decay
 * @param weightDecay L2 weight decay; 0 for none
 * @param clipGradient clip each gradient to [-c, c]; 0 for none
 * @param pretrainEpochs epochs of skip-gram pre-training of the word vectors on the training text
 *     (and any unlabelled text given to the trainer) before the network trains; 0 starts from
 *     random vectors, as the seed does
 * @param pretrainWindow the skip-gram's largest context window on either side of a word
 * @param validationFraction share of each label held out to pick the best epoch
 * @param seed seeds the split, the shuffles and the network's initialization
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
        int patience,
        int batchSize,
        float learningRate,
        float learningRateDecay,
        int fullRateEpochs,
        float weightDecay,
        float clipGradient,
        int pretrainEpochs,
        int pretrainWindow,
        double validationFraction,
        long seed) {

    public TrainingOptions {
        kernelSizes = List.copyOf(kernelSizes);
        if (epochs < 1 || batchSize < 1 || maxLength < 1 || minFrequency < 1 || patience < 0) {
            throw new IllegalArgumentException(
                    "epochs, batchSize, maxLength and minFrequency must be positive, patience >= 0");
        }
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in (0, 1)");
        }
        if (fullRateEpochs < 1) {
            throw new IllegalArgumentException("fullRateEpochs must be >= 1");
        }
        if (!(learningRateDecay > 0 && learningRateDecay <= 1)) {
            throw new IllegalArgumentException("learningRateDecay must be in (0, 1]");
        }
        if (pretrainEpochs < 0 || pretrainWindow < 1) {
            throw new IllegalArgumentException("pretrainEpochs must be >= 0, pretrainWindow >= 1");
        }
        if (!(learningRate > 0) || weightDecay < 0 || clipGradient < 0) {
            throw new IllegalArgumentException(
                    "learningRate must be positive, weightDecay and clipGradient >= 0");
        }
    }

    /** The seed's configuration: its network, 80/20 split, 3 epochs, Adam 1e-3, batch 64. */
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
                0,
                64,
                1e-3f,
                1f,
                1,
                0f,
                0f,
                0,
                5,
                0.2,
                42L);
    }

    public TrainingOptions withEmbeddingSize(int size) {
        Copy copy = new Copy(this);
        copy.embeddingSize = size;
        return copy.build();
    }

    public TrainingOptions withFilters(int newFilters) {
        Copy copy = new Copy(this);
        copy.filters = newFilters;
        return copy.build();
    }

    public TrainingOptions withSchedule(int newEpochs, int newMaxLength, int newMaxVocabulary) {
        Copy copy = new Copy(this);
        copy.epochs = newEpochs;
        copy.maxLength = newMaxLength;
        copy.maxVocabulary = newMaxVocabulary;
        return copy.build();
    }

    public TrainingOptions withIdentity(String newName, String newVersion) {
        Copy copy = new Copy(this);
        copy.name = newName;
        copy.version = newVersion;
        return copy.build();
    }

    public TrainingOptions withPretraining(int newPretrainEpochs, int newPretrainWindow) {
        Copy copy = new Copy(this);
        copy.pretrainEpochs = newPretrainEpochs;
        copy.pretrainWindow = newPretrainWindow;
        return copy.build();
    }

    public TrainingOptions withLearningRate(float rate) {
        Copy copy = new Copy(this);
        copy.learningRate = rate;
        return copy.build();
    }

    public TrainingOptions withBatchSize(int size) {
        Copy copy = new Copy(this);
        copy.batchSize = size;
        return copy.build();
    }

    public TrainingOptions withSeed(long newSeed) {
        Copy copy = new Copy(this);
        copy.seed = newSeed;
        return copy.build();
    }

    public TrainingOptions withValidationFraction(double fraction) {
        Copy copy = new Copy(this);
        copy.validationFraction = fraction;
        return copy.build();
    }

    /** A mutable copy of every field, so each {@code with…} names only what it changes. */
    private static final class Copy {
        private String name;
        private String version;
        private int embeddingSize;
        private int filters;
        private List<Integer> kernelSizes;
        private float dropout;
        private int maxLength;
        private int maxVocabulary;
        private int minFrequency;
        private int epochs;
        private int patience;
        private int batchSize;
        private float learningRate;
        private float learningRateDecay;
        private int fullRateEpochs;
        private float weightDecay;
        private float clipGradient;
        private int pretrainEpochs;
        private int pretrainWindow;
        private double validationFraction;
        private long seed;

        Copy(TrainingOptions o) {
            name = o.name;
            version = o.version;
            embeddingSize = o.embeddingSize;
            filters = o.filters;
            kernelSizes = o.kernelSizes;
            dropout = o.dropout;
            maxLength = o.maxLength;
            maxVocabulary = o.maxVocabulary;
            minFrequency = o.minFrequency;
            epochs = o.epochs;
            patience = o.patience;
            batchSize = o.batchSize;
            learningRate = o.learningRate;
            learningRateDecay = o.learningRateDecay;
            fullRateEpochs = o.fullRateEpochs;
            weightDecay = o.weightDecay;
            clipGradient = o.clipGradient;
            pretrainEpochs = o.pretrainEpochs;
            pretrainWindow = o.pretrainWindow;
            validationFraction = o.validationFraction;
            seed = o.seed;
        }

        TrainingOptions build() {
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
                    patience,
                    batchSize,
                    learningRate,
                    learningRateDecay,
                    fullRateEpochs,
                    weightDecay,
                    clipGradient,
                    pretrainEpochs,
                    pretrainWindow,
                    validationFraction,
                    seed);
        }
    }
}
