package io.sentiflow.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Trains a {@link TextCnn} on labelled reviews and writes a model directory ({@code config.json},
 * {@code vocab.txt}, weights) that {@link SentimentScorer} loads.
 *
 * <p>Adam on sigmoid binary cross-entropy. A seeded share of the data is held out, and the weights
 * of the epoch with the best held-out accuracy are kept. Batches group reviews of similar length
 * and are padded only to their longest review, which roughly halves the work on IMDB.
 */
public final class TextCnnTrainer {
    /** How many batches' worth of reviews are sorted by length together before batching. */
    private static final int BUCKET_BATCHES = 50;

    private final TrainingOptions options;
    private final Device device;
    private final PrintStream progress;

    public TextCnnTrainer(TrainingOptions options, Device device, PrintStream progress) {
        this.options = options;
        this.device = device;
        this.progress = progress;
    }

    public TrainingResult train(List<LabeledText> data, Path outputDirectory) throws IOException {
        if (data.size() < 10) {
            throw new IllegalArgumentException(
                    "need at least 10 labelled reviews, got " + data.size());
        }
        long start = System.nanoTime();
        List<LabeledText> shuffled = new ArrayList<>(data);
        Collections.shuffle(shuffled, new Random(options.seed()));
        int validationSize =
                Math.max(1, (int) Math.round(shuffled.size() * options.validationFraction()));
        List<LabeledText> validation = shuffled.subList(0, validationSize);
        List<LabeledText> training = shuffled.subList(validationSize, shuffled.size());

        Tokenizer tokenizer = new Tokenizer(options.maxLength());
        List<List<String>> trainingTokens =
                training.stream().map(r -> tokenizer.tokenize(r.text())).toList();
        Vocabulary vocabulary =
                Vocabulary.build(trainingTokens, options.minFrequency(), options.maxVocabulary());
        List<Example> trainingSet = encode(trainingTokens, training, vocabulary);
        List<Example> validationSet =
                encode(
                        validation.stream().map(r -> tokenizer.tokenize(r.text())).toList(),
                        validation,
                        vocabulary);
        progress.printf(
                Locale.ROOT,
                "training on %d reviews, validating on %d; vocabulary %d tokens; device %s%n",
                trainingSet.size(),
                validationSet.size(),
                vocabulary.size(),
                device);

        TextCnnConfig network =
                new TextCnnConfig(
                        vocabulary.size(),
                        options.embeddingSize(),
                        options.filters(),
                        options.kernelSizes(),
                        options.dropout());
        ModelConfig config =
                new ModelConfig(options.name(), options.version(), network, options.maxLength());
        Files.createDirectories(outputDirectory);
        clearWeights(outputDirectory);
        config.write(outputDirectory);
        vocabulary.save(ModelFiles.vocabulary(outputDirectory));

        Engine.getInstance().setRandomSeed((int) options.seed());
        List<TrainingResult.Epoch> epochs = new ArrayList<>();
        int bestEpoch = 0;
        double bestAccuracy = -1;
        try (Model model = Model.newInstance(ModelFiles.WEIGHTS_NAME, device)) {
            model.setBlock(new TextCnn(network));
            DefaultTrainingConfig trainingConfig =
                    new DefaultTrainingConfig(Loss.sigmoidBinaryCrossEntropyLoss())
                            .optOptimizer(
                                    Optimizer.adam()
                                            .optLearningRateTracker(
                                                    Tracker.fixed(options.learningRate()))
                                            .build())
                            .optDevices(new Device[] {device});
            try (Trainer trainer = model.newTrainer(trainingConfig)) {
                trainer.initialize(new Shape(options.batchSize(), network.maxKernelSize()));
                Random random = new Random(options.seed() + 1);
                for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                    long epochStart = System.nanoTime();
                    double[] lossAndAccuracy =
                            trainEpoch(trainer, trainingSet, random, epoch, network);
                    double validationAccuracy = accuracy(trainer, validationSet, network);
                    double seconds = (System.nanoTime() - epochStart) / 1e9;
                    epochs.add(
                            new TrainingResult.Epoch(
                                    epoch,
                                    lossAndAccuracy[0],
                                    lossAndAccuracy[1],
                                    validationAccuracy,
                                    seconds));
                    boolean best = validationAccuracy > bestAccuracy;
                    progress.printf(
                            Locale.ROOT,
                            "epoch %d/%d: loss %.4f, train accuracy %.4f, validation accuracy %.4f, %.1f s%s%n",
                            epoch,
                            options.epochs(),
                            lossAndAccuracy[0],
                            lossAndAccuracy[1],
                            validationAccuracy,
                            seconds,
                            best ? " (best so far, saved)" : "");
                    if (best) {
                        bestAccuracy = validationAccuracy;
                        bestEpoch = epoch;
                        clearWeights(outputDirectory);
                        model.setProperty("Epoch", "0");
                        model.save(outputDirectory, ModelFiles.WEIGHTS_NAME);
                    }
                }
            }
        }
        return new TrainingResult(
                outputDirectory,
                epochs,
                bestEpoch,
                trainingSet.size(),
                validationSet.size(),
                (System.nanoTime() - start) / 1e9);
    }

    private double[] trainEpoch(
            Trainer trainer,
            List<Example> examples,
            Random random,
            int epoch,
            TextCnnConfig network) {
        List<List<Example>> batches = lengthBucketedBatches(examples, random);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int reportEvery = Math.max(1, batches.size() / 10);
        long start = System.nanoTime();
        for (int b = 0; b < batches.size(); b++) {
            List<Example> batch = batches.get(b);
            try (NDManager manager = trainer.getManager().newSubManager()) {
                NDArray ids = padded(manager, batch, network.maxKernelSize());
                NDArray targets = targets(manager, batch);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(new NDList(ids)).singletonOrThrow();
                    NDArray loss =
                            trainer.getLoss().evaluate(new NDList(targets), new NDList(logits));
                    collector.backward(loss);
                    lossSum += loss.getFloat() * batch.size();
                    correct += countCorrect(logits, targets);
                }
                trainer.step();
            }
            seen += batch.size();
            if ((b + 1) % reportEvery == 0 || b + 1 == batches.size()) {
                progress.printf(
                        Locale.ROOT,
                        "epoch %d/%d [%-20s] %3d%%  loss %.4f  accuracy %.4f  %.0f s%n",
                        epoch,
                        options.epochs(),
                        "=".repeat((int) (20L * (b + 1) / batches.size())),
                        100L * (b + 1) / batches.size(),
                        lossSum / seen,
                        (double) correct / seen,
                        (System.nanoTime() - start) / 1e9);
            }
        }
        return new double[] {lossSum / seen, (double) correct / seen};
    }

    private double accuracy(Trainer trainer, List<Example> examples, TextCnnConfig network) {
        List<Example> sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingInt(e -> e.ids().length));
        long correct = 0;
        for (int from = 0; from < sorted.size(); from += options.batchSize()) {
            List<Example> batch =
                    sorted.subList(from, Math.min(sorted.size(), from + options.batchSize()));
            try (NDManager manager = trainer.getManager().newSubManager()) {
                NDArray logits =
                        trainer.evaluate(
                                        new NDList(padded(manager, batch, network.maxKernelSize())))
                                .singletonOrThrow();
                correct += countCorrect(logits, targets(manager, batch));
            }
        }
        return (double) correct / sorted.size();
    }

    private static long countCorrect(NDArray logits, NDArray targets) {
        return logits.gt(0).eq(targets.gt(0.5f)).countNonzero().getLong();
    }

    /** Shuffled, then sorted by length within buckets of a few dozen batches, then batched. */
    private List<List<Example>> lengthBucketedBatches(List<Example> examples, Random random) {
        List<Example> shuffled = new ArrayList<>(examples);
        Collections.shuffle(shuffled, random);
        int bucket = options.batchSize() * BUCKET_BATCHES;
        List<List<Example>> batches = new ArrayList<>();
        for (int from = 0; from < shuffled.size(); from += bucket) {
            List<Example> slice =
                    new ArrayList<>(
                            shuffled.subList(from, Math.min(shuffled.size(), from + bucket)));
            slice.sort(Comparator.comparingInt(e -> e.ids().length));
            for (int b = 0; b < slice.size(); b += options.batchSize()) {
                batches.add(slice.subList(b, Math.min(slice.size(), b + options.batchSize())));
            }
        }
        Collections.shuffle(batches, random);
        return batches;
    }

    private static NDArray padded(NDManager manager, List<Example> batch, int minLength) {
        int length = minLength;
        for (Example e : batch) {
            length = Math.max(length, e.ids().length);
        }
        long[] flat = new long[batch.size() * length];
        for (int row = 0; row < batch.size(); row++) {
            int[] ids = batch.get(row).ids();
            for (int t = 0; t < ids.length; t++) {
                flat[row * length + t] = ids[t];
            }
        }
        return manager.create(flat, new Shape(batch.size(), length));
    }

    private static NDArray targets(NDManager manager, List<Example> batch) {
        float[] values = new float[batch.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = batch.get(i).target();
        }
        return manager.create(values, new Shape(values.length, 1));
    }

    private static List<Example> encode(
            List<List<String>> tokens, List<LabeledText> rows, Vocabulary vocabulary) {
        List<Example> examples = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            examples.add(new Example(vocabulary.encode(tokens.get(i)), rows.get(i).target()));
        }
        return examples;
    }

    private static void clearWeights(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file :
                    files.filter(p -> p.getFileName().toString().endsWith(".params")).toList()) {
                Files.delete(file);
            }
        }
    }

    private record Example(int[] ids, float target) {}
}
