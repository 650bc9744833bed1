package io.sentiflow.cli;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.model.ImdbCsvReader;
import io.sentiflow.model.ImdbDataset;
import io.sentiflow.model.LabeledText;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.TextCnnTrainer;
import io.sentiflow.model.TrainingOptions;
import io.sentiflow.model.TrainingResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sentiflow train}: a TextCNN from a {@code review,sentiment} CSV to a model directory. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description =
                "Train a TextCNN on IMDB-style reviews and write a model directory (weights, vocabulary, config).")
public final class TrainCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--data",
            description =
                    "Folder with train.csv[.gz] (and test.csv[.gz]). Default: ./data/imdb, then ../shared/data/imdb.")
    Path data;

    @Option(
            names = "--train-file",
            description = "A review,sentiment CSV to train on instead of <data>/train.csv.")
    Path trainFile;

    @Option(
            names = "--output",
            defaultValue = "models/textcnn-imdb",
            description = "Model directory to write (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(
            names = "--name",
            defaultValue = "textcnn-imdb",
            description = "Model name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(
            names = "--model-version",
            defaultValue = "1",
            description = "Model version (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(
            names = "--epochs",
            defaultValue = "3",
            description = "Passes over the data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--embedding-size",
            defaultValue = "300",
            description = "Embedding width (default: ${DEFAULT-VALUE}, the seed's).")
    int embeddingSize;

    @Option(
            names = "--filters",
            defaultValue = "100",
            description = "Filters per kernel size (default: ${DEFAULT-VALUE}).")
    int filters;

    @Option(
            names = "--kernel-sizes",
            split = ",",
            defaultValue = "3,4,5",
            description = "Kernel widths (default: ${DEFAULT-VALUE}).")
    List<Integer> kernelSizes;

    @Option(
            names = "--dropout",
            defaultValue = "0.5",
            description = "Dropout rate (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(
            names = "--max-length",
            defaultValue = "400",
            description = "Tokens kept per review (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(
            names = "--max-vocabulary",
            defaultValue = "20000",
            description = "Vocabulary size, PAD and UNK included (default: ${DEFAULT-VALUE}).")
    int maxVocabulary;

    @Option(
            names = "--min-frequency",
            defaultValue = "2",
            description = "Fewest occurrences for a token of its own (default: ${DEFAULT-VALUE}).")
    int minFrequency;

    @Option(
            names = "--batch-size",
            defaultValue = "64",
            description = "Reviews per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--learning-rate",
            defaultValue = "0.001",
            description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(
            names = "--validation-fraction",
            defaultValue = "0.1",
            description = "Share held out to pick the best epoch (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--limit",
            description = "Train on a seeded random sample of at most this many reviews.")
    Integer limit;

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--skip-test", description = "Do not score the test split after training.")
    boolean skipTest;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        TrainingOptions options =
                new TrainingOptions(
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
                        seed);
        Optional<ImdbDataset> dataset =
                trainFile == null
                        ? Optional.of(ImdbDataset.locate(Optional.ofNullable(data)))
                        : Optional.empty();
        Path source = trainFile != null ? trainFile : dataset.get().file("train");
        List<LabeledText> reviews = sample(ImdbCsvReader.read(source), limit, seed);
        out.printf(Locale.ROOT, "read %d reviews from %s%n", reviews.size(), source);
        Device chosen = Devices.select(device, 0);
        TrainingResult result = new TextCnnTrainer(options, chosen, out).train(reviews, output);
        out.printf(
                Locale.ROOT,
                "model written to %s: best epoch %d, validation accuracy %.4f, %.0f s%n",
                output,
                result.bestEpoch(),
                result.bestValidationAccuracy(),
                result.seconds());
        if (!skipTest && dataset.isPresent()) {
            List<LabeledText> test = dataset.get().read("test");
            long start = System.nanoTime();
            double accuracy = accuracy(output, chosen, test);
            out.printf(
                    Locale.ROOT,
                    "test split: %d reviews, accuracy %.4f (%.0f reviews/s)%n",
                    test.size(),
                    accuracy,
                    test.size() / ((System.nanoTime() - start) / 1e9));
        }
        return 0;
    }

    static List<LabeledText> sample(List<LabeledText> all, Integer limit, long seed) {
        if (limit == null || limit >= all.size()) {
            return all;
        }
        List<LabeledText> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(seed));
        return shuffled.subList(0, limit);
    }

    /** Accuracy of a model directory on labelled reviews, scored in batches of 256. */
    static double accuracy(Path model, Device device, List<LabeledText> reviews) throws Exception {
        long correct = 0;
        try (SentimentScorer scorer = SentimentScorer.load(model, device)) {
            for (int from = 0; from < reviews.size(); from += 256) {
                List<LabeledText> batch =
                        reviews.subList(from, Math.min(reviews.size(), from + 256));
                float[] scores = scorer.scoreTexts(batch.stream().map(LabeledText::text).toList());
                for (int i = 0; i < scores.length; i++) {
                    if ((scores[i] >= 0.5f) == batch.get(i).positive()) {
                        correct++;
                    }
                }
            }
        }
        return correct / (double) reviews.size();
    }
}
