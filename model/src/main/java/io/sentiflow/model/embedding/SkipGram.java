package io.sentiflow.model.embedding;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Word vectors learned from unlabelled text with Mikolov et al.'s (2013) skip-gram with negative
 * sampling, to initialise the TextCNN's embedding table (Kim 2014's "CNN-non-static" starts from
 * such vectors instead of random ones).
 *
 * <p>As in {@code word2vec}: frequent words are subsampled ({@code t = 1e-4}), each word predicts
 * the words within a window of random size up to {@code window} on either side, {@code negatives}
 * noise words are drawn from the unigram distribution raised to 3/4, and the learning rate falls
 * linearly from 0.025. One thread, with a seeded random source, so a run is reproducible.
 *
 * <p>Input is already mapped to vocabulary ids; ids below {@code firstWord} (padding, unknown) are
 * left out of the text. The result is the input vector table, {@code vocabularySize × dimension},
 * row-major, as learned; {@link WordVectors#table} centres and scales it for a network.
 */
public final class SkipGram {
    private static final double SUBSAMPLE = 1e-4;
    private static final float START_RATE = 0.025f;
    private static final int NOISE_TABLE = 1 << 22;

    private final int dimension;
    private final int window;
    private final int negatives;
    private final int epochs;
    private final long seed;

    public SkipGram(int dimension, int window, int negatives, int epochs, long seed) {
        if (dimension < 1 || window < 1 || negatives < 1 || epochs < 1) {
            throw new IllegalArgumentException(
                    "dimension, window, negatives and epochs must be positive");
        }
        this.dimension = dimension;
        this.window = window;
        this.negatives = negatives;
        this.epochs = epochs;
        this.seed = seed;
    }

    public int dimension() {
        return dimension;
    }

    /**
     * Learns vectors for ids {@code 0 … vocabularySize-1} from {@code documents}.
     *
     * @param firstWord ids below this (padding, unknown) are dropped from the text and keep small
     *     random vectors
     */
    public float[] train(
            List<int[]> documents, int vocabularySize, int firstWord, PrintStream progress) {
        long[] counts = new long[vocabularySize];
        long total = 0;
        for (int[] document : documents) {
            for (int id : document) {
                if (id >= firstWord) {
                    counts[id]++;
                    total++;
                }
            }
        }
        if (total == 0) {
            throw new IllegalArgumentException("no vocabulary words in the pre-training text");
        }
        int[] noise = noiseTable(counts);
        float[] keep = new float[vocabularySize];
        for (int id = 0; id < vocabularySize; id++) {
            if (counts[id] > 0) {
                double threshold = SUBSAMPLE * total;
                keep[id] =
                        (float)
                                Math.min(
                                        1,
                                        (Math.sqrt(counts[id] / threshold) + 1)
                                                * threshold
                                                / counts[id]);
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = new float[vocabularySize * dimension];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) ((random.nextDouble() - 0.5) / dimension);
        }
        float[] output = new float[vocabularySize * dimension];
        float[] gradient = new float[dimension];
        int[] sentence = new int[0];
        long planned = epochs * total;
        long processed = 0;
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            double lossSum = 0;
            long pairs = 0;
            for (int[] document : documents) {
                if (sentence.length < document.length) {
                    sentence = new int[document.length];
                }
                int length = 0;
                for (int id : document) {
                    if (id >= firstWord && random.nextFloat() < keep[id]) {
                        sentence[length++] = id;
                    }
                }
                float rate =
                        Math.max(
                                START_RATE * 1e-4f, START_RATE * (1 - processed / (float) planned));
                processed += document.length;
                for (int position = 0; position < length; position++) {
                    int word = sentence[position];
                    int reach = 1 + random.nextInt(window);
                    int from = Math.max(0, position - reach);
                    int to = Math.min(length - 1, position + reach);
                    for (int c = from; c <= to; c++) {
                        if (c == position) {
                            continue;
                        }
                        lossSum +=
                                pair(
                                        input,
                                        output,
                                        gradient,
                                        sentence[c],
                                        word,
                                        noise,
                                        random,
                                        rate);
                        pairs++;
                    }
                }
            }
            if (progress != null) {
                progress.printf(
                        Locale.ROOT,
                        "pre-training word vectors: epoch %d/%d, loss %.4f per pair, %d pairs, %.0f s%n",
                        epoch,
                        epochs,
                        lossSum / Math.max(1, pairs),
                        pairs,
                        (System.nanoTime() - start) / 1e9);
            }
        }
        return input;
    }

    /** One positive and {@code negatives} noise updates for (context → word); returns the loss. */
    private double pair(
            float[] input,
            float[] output,
            float[] gradient,
            int context,
            int word,
            int[] noise,
            SplittableRandom random,
            float rate) {
        int in = context * dimension;
        Arrays.fill(gradient, 0f);
        double loss = 0;
        for (int d = 0; d <= negatives; d++) {
            int target;
            float label;
            if (d == 0) {
                target = word;
                label = 1;
            } else {
                target = noise[random.nextInt(noise.length)];
                if (target == word) {
                    continue;
                }
                label = 0;
            }
            int out = target * dimension;
            float dot = 0;
            for (int k = 0; k < dimension; k++) {
                dot += input[in + k] * output[out + k];
            }
            float p = sigmoid(dot);
            loss -= Math.log(Math.max(1e-7, label == 1 ? p : 1 - p));
            float g = (label - p) * rate;
            for (int k = 0; k < dimension; k++) {
                gradient[k] += g * output[out + k];
                output[out + k] += g * input[in + k];
            }
        }
        for (int k = 0; k < dimension; k++) {
            input[in + k] += gradient[k];
        }
        return loss;
    }

    private static float sigmoid(float x) {
        if (x > 8) {
            return 1 - 3.3e-4f;
        }
        if (x < -8) {
            return 3.3e-4f;
        }
        return (float) (1 / (1 + Math.exp(-x)));
    }

    /** Ids repeated in proportion to count^0.75, for drawing noise words in O(1). */
    private static int[] noiseTable(long[] counts) {
        double sum = 0;
        for (long count : counts) {
            sum += Math.pow(count, 0.75);
        }
        int[] table = new int[NOISE_TABLE];
        int id = 0;
        while (counts[id] == 0) {
            id++;
        }
        double cumulative = Math.pow(counts[id], 0.75) / sum;
        for (int i = 0; i < NOISE_TABLE; i++) {
            table[i] = id;
            if ((i + 1) / (double) NOISE_TABLE > cumulative && id < counts.length - 1) {
                do {
                    id++;
                } while (id < counts.length - 1 && counts[id] == 0);
                cumulative += Math.pow(counts[id], 0.75) / sum;
            }
        }
        return table;
    }
}
