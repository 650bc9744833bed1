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
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.Splits;
import io.sentiflow.model.embedding.SkipGram;
import io.sentiflow.model.embedding.WordVectors;
import io.sentiflow.model.eval.Charts;
import io.sentiflow.model.eval.Evaluation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Trains a {@link TextCnn} on labelled reviews and exports a model directory: {@code config.json},
 * {@code vocab.txt}, the weights, {@code metrics.json}, {@code training-curve.png} and a {@code
 * manifest.json} with every file's SHA-256, which {@link SentimentScorer} verifies on load.
 *
 * <p>Adam on sigmoid binary cross-entropy, optionally with weight decay and gradient clipping. The
 * weights of the epoch with the best validation accuracy are kept, and training stops early after
 * {@code patience} epochs without a better one. Batches group reviews of similar length and are
 * padded only to their longest review.
 */
public final class TextCnnTrainer {
    /** How many batches' worth of reviews are sorted by length together before batching. */
    private static final int BUCKET_BATCHES = 50;

    /** Guarded steps in a row (see {@link StepGuard}) after which a run counts as diverged. */
    static final int MAX_GUARDED_STEPS_IN_A_ROW = 20;

    /** Guarded steps printed per epoch; the epoch's line counts the rest. */
    private static final int REPORTED_GUARDS = 5;

    /** Noise words per context pair in the skip-gram pre-training, word2vec's default. */
    private static final int NEGATIVE_SAMPLES = 5;

    /**
     * Pre-trained vectors are scaled to the spread of the random initialization they replace, so
     * the rest of the network sees inputs of the size it was tuned for.
     */
    private static final float EMBEDDING_SCALE = 0.1f;

    /** Tokenizes whole reviews, for the word-vector pre-training. */
    private static final Tokenizer WHOLE = new Tokenizer(Integer.MAX_VALUE);

    private final TrainingOptions options;
    private final Device device;
    private final PrintStream progress;
    private final List<String> unlabelled;
    private final WordVectors wordVectors;

    public TextCnnTrainer(TrainingOptions options, Device device, PrintStream progress) {
        this(options, device, progress, List.of(), null);
    }

    private TextCnnTrainer(
            TrainingOptions options,
            Device device,
            PrintStream progress,
            List<String> unlabelled,
            WordVectors wordVectors) {
        this.unlabelled = List.copyOf(unlabelled);
        this.wordVectors = wordVectors;
        this.options = options;
        this.device = device;
        this.progress = progress;
    }

    /**
     * This trainer, with more text for the word-vector pre-training ({@link
     * TrainingOptions#pretrainEpochs()}) besides the training rows; never the validation or test
     * rows.
     */
    public TextCnnTrainer withUnlabelled(List<String> texts) {
        return new TextCnnTrainer(options, device, progress, texts, wordVectors);
    }

    /**
     * This trainer, starting the embedding table from {@code vectors} (pre-trained elsewhere, e.g.
     * by {@code sentiflow embeddings}, or word2vec/GloVe files) instead of random ones.
     */
    public TextCnnTrainer withWordVectors(WordVectors vectors) {
        if (vectors != null && vectors.dimension() != options.embeddingSize()) {
            throw new IllegalArgumentException(
                    "the word vectors are "
                            + vectors.dimension()
                            + " wide but the embedding size is "
                            + options.embeddingSize());
        }
        if (vectors != null && options.pretrainEpochs() > 0) {
            throw new IllegalArgumentException(
                    "either pre-train word vectors or start from given ones, not both");
        }
        return new TextCnnTrainer(options, device, progress, unlabelled, vectors);
    }

    /** Trains on {@code data} with a seeded, stratified validation split. */
    public TrainingResult train(List<LabeledText> data, Path outputDirectory) throws IOException {
        return train(data, outputDirectory, "unnamed: " + data.size() + " rows");
    }

    /**
     * Trains on {@code data} with a seeded, stratified validation split; {@code source} names the
     * data.
     */
    public TrainingResult train(List<LabeledText> data, Path outputDirectory, String source)
            throws IOException {
        if (data.size() < 10) {
            throw new IllegalArgumentException(
                    "need at least 10 labelled reviews, got " + data.size());
        }
        Splits.Split split = Splits.stratified(data, options.validationFraction(), options.seed());
        return train(split.train(), split.validation(), outputDirectory, source);
    }

    /** Trains on {@code training}, choosing the best epoch on {@code validation}. */
    public TrainingResult train(
            List<LabeledText> training,
            List<LabeledText> validation,
            Path outputDirectory,
            String source)
            throws IOException {
        long start = System.nanoTime();
        Tokenizer tokenizer = new Tokenizer(options.maxLength());
        // Skip-gram pre-training reads whole reviews; the network reads the first maxLength tokens,
        // which are a prefix of the whole review's tokens, so each review is tokenized once.
        List<List<String>> wholeTokens =
                wordVectors == null && options.pretrainEpochs() > 0
                        ? training.stream().map(r -> WHOLE.tokenize(r.text())).toList()
                        : null;
        List<List<String>> trainingTokens =
                wholeTokens != null
                        ? wholeTokens.stream()
                                .map(t -> t.subList(0, Math.min(t.size(), options.maxLength())))
                                .toList()
                        : training.stream().map(r -> tokenizer.tokenize(r.text())).toList();
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
        clear(outputDirectory);
        config.write(outputDirectory);
        vocabulary.save(ModelFiles.vocabulary(outputDirectory));

        float[] initialEmbeddings = pretrain(wholeTokens, vocabulary);
        Engine.getInstance().setRandomSeed((int) options.seed());
        List<TrainingResult.Epoch> epochs = new ArrayList<>();
        int bestEpoch = 0;
        double bestAccuracy = -1;
        float[] bestScores = null;
        try (Model model = Model.newInstance(ModelFiles.WEIGHTS_NAME, device);
                Trainer trainer =
                        newTrainer(
                                model,
                                network,
                                initialEmbeddings,
                                batchesPerEpoch(trainingSet.size()))) {
            Random random = new Random(options.seed() + 1);
            StepGuard guard = new StepGuard(MAX_GUARDED_STEPS_IN_A_ROW);
            for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                long epochStart = System.nanoTime();
                long guardedBefore = guard.skipped() + guard.undone();
                double[] lossAndAccuracy =
                        trainEpoch(trainer, guard, trainingSet, random, epoch, network);
                float[] scores = new float[validationSet.size()];
                double validationLoss = score(trainer, validationSet, network, scores);
                double validationAccuracy = accuracy(scores, validationSet);
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                epochs.add(
                        new TrainingResult.Epoch(
                                epoch,
                                lossAndAccuracy[0],
                                lossAndAccuracy[1],
                                validationLoss,
                                validationAccuracy,
                                seconds,
                                guard.skipped() + guard.undone() - guardedBefore));
                // A NaN validation loss means NaN scores: such weights are never kept.
                boolean best = validationAccuracy > bestAccuracy && Double.isFinite(validationLoss);
                progress.printf(
                        Locale.ROOT,
                        "epoch %d/%d: loss %.4f, train accuracy %.4f, validation loss %.4f, validation accuracy %.4f, %.1f s%s%n",
                        epoch,
                        options.epochs(),
                        lossAndAccuracy[0],
                        lossAndAccuracy[1],
                        validationLoss,
                        validationAccuracy,
                        seconds,
                        best ? " (best so far, saved)" : "");
                if (best) {
                    bestAccuracy = validationAccuracy;
                    bestEpoch = epoch;
                    bestScores = scores;
                    deleteWeights(outputDirectory);
                    model.setProperty("Epoch", "0");
                    model.save(outputDirectory, ModelFiles.WEIGHTS_NAME);
                } else if (options.patience() > 0 && epoch - bestEpoch >= options.patience()) {
                    progress.printf(
                            Locale.ROOT,
                            "no better validation accuracy for %d epochs: stopping, keeping epoch %d%n",
                            options.patience(),
                            bestEpoch);
                    break;
                }
            }
        }
        if (bestScores == null) {
            throw new IllegalStateException(
                    "no epoch gave finite validation scores: nothing was saved");
        }
        // Calibration: one temperature fitted on the validation rows' logits (accuracy unchanged).
        boolean[] validationLabels = labels(validationSet);
        float[] validationLogits = new float[bestScores.length];
        for (int i = 0; i < bestScores.length; i++) {
            validationLogits[i] = Calibration.logit(bestScores[i]);
        }
        double temperature = Calibration.fitTemperature(validationLogits, validationLabels);
        float[] calibrated = new float[bestScores.length];
        for (int i = 0; i < calibrated.length; i++) {
            calibrated[i] = Calibration.score(validationLogits[i], temperature);
        }
        Evaluation uncalibrated = Evaluation.of(bestScores, validationLabels);
        Evaluation validationEvaluation = Evaluation.of(calibrated, validationLabels);
        config.withTemperature(temperature).write(outputDirectory);
        progress.printf(
                Locale.ROOT,
                "calibration: temperature %.3f; validation ECE %.4f before, %.4f after%n",
                temperature,
                uncalibrated.expectedCalibrationError(),
                validationEvaluation.expectedCalibrationError());
        writeMetrics(outputDirectory, epochs, bestEpoch, validationEvaluation);
        Charts.trainingCurve(epochs, outputDirectory.resolve("training-curve.png"));
        ModelManifest.write(
                outputDirectory,
                config,
                Instant.now().toString(),
                new ModelManifest.TrainingData(source, training.size(), fingerprint(training)),
                validationEvaluation,
                null,
                unknownRate(validationSet));
        return new TrainingResult(
                outputDirectory,
                epochs,
                bestEpoch,
                trainingSet.size(),
                validationSet.size(),
                validationEvaluation,
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * The embedding table's starting vectors: the given word vectors, or skip-gram ones learned for
     * {@code vocabulary} from the training rows' whole tokens ({@code wholeTokens}, not cut at the
     * max length) and the unlabelled text; null for random ones.
     */
    private float[] pretrain(List<List<String>> wholeTokens, Vocabulary vocabulary) {
        if (wordVectors != null) {
            WordVectors.Table table =
                    wordVectors.table(vocabulary, EMBEDDING_SCALE, options.seed());
            progress.printf(
                    Locale.ROOT,
                    "embeddings start from the given word vectors for %d of %d vocabulary words%n",
                    table.found(),
                    table.words());
            return table.values();
        }
        if (options.pretrainEpochs() == 0) {
            return null;
        }
        List<int[]> corpus = new ArrayList<>(wholeTokens.size() + unlabelled.size());
        for (List<String> tokens : wholeTokens) {
            corpus.add(vocabulary.encode(tokens));
        }
        for (String text : unlabelled) {
            corpus.add(vocabulary.encode(WHOLE.tokenize(text)));
        }
        progress.printf(
                Locale.ROOT,
                "pre-training %d-wide word vectors on %d texts (%d unlabelled)%n",
                options.embeddingSize(),
                corpus.size(),
                unlabelled.size());
        SkipGram skipGram =
                new SkipGram(
                        options.embeddingSize(),
                        options.pretrainWindow(),
                        NEGATIVE_SAMPLES,
                        options.pretrainEpochs(),
                        options.seed());
        return WordVectors.learn(corpus, vocabulary, skipGram, progress)
                .table(vocabulary, EMBEDDING_SCALE, options.seed())
                .values();
    }

    private Trainer newTrainer(
            Model model, TextCnnConfig network, float[] initialEmbeddings, int batchesPerEpoch) {
        model.setBlock(new TextCnn(network, initialEmbeddings));
        Tracker learningRate = Tracker.fixed(options.learningRate());
        if (options.learningRateDecay() < 1f && options.epochs() > options.fullRateEpochs()) {
            // The rate falls by the decay factor at the end of every epoch after the full-rate
            // ones.
            int[] epochEnds = new int[options.epochs() - options.fullRateEpochs()];
            for (int e = 0; e < epochEnds.length; e++) {
                epochEnds[e] = batchesPerEpoch * (options.fullRateEpochs() + e);
            }
            learningRate =
                    Tracker.multiFactor()
                            .setBaseValue(options.learningRate())
                            .setSteps(epochEnds)
                            .optFactor(options.learningRateDecay())
                            .build();
        }
        Adam.Builder adam = Optimizer.adam().optLearningRateTracker(learningRate);
        if (options.weightDecay() > 0) {
            adam.optWeightDecays(options.weightDecay());
        }
        if (options.clipGradient() > 0) {
            adam.optClipGrad(options.clipGradient());
        }
        DefaultTrainingConfig trainingConfig =
                new DefaultTrainingConfig(Loss.sigmoidBinaryCrossEntropyLoss())
                        .optOptimizer(adam.build())
                        .optDevices(new Device[] {device});
        Trainer trainer = model.newTrainer(trainingConfig);
        trainer.initialize(new Shape(options.batchSize(), network.maxKernelSize()));
        return trainer;
    }

    private double[] trainEpoch(
            Trainer trainer,
            StepGuard guard,
            List<Example> examples,
            Random random,
            int epoch,
            TextCnnConfig network) {
        List<List<Example>> batches = lengthBucketedBatches(examples, random);
        // Loss and accuracy of the batches not skipped: a skipped batch's figures are not finite.
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        long guardedBefore = guard.skipped() + guard.undone();
        int reportEvery = Math.max(1, batches.size() / 10);
        long start = System.nanoTime();
        for (int b = 0; b < batches.size(); b++) {
            List<Example> batch = batches.get(b);
            float lossValue;
            long batchCorrect;
            try (NDManager manager = trainer.getManager().newSubManager()) {
                NDArray ids = padded(manager, batch, network.maxKernelSize());
                NDArray targets = targets(manager, batch);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(new NDList(ids)).singletonOrThrow();
                    NDArray loss =
                            trainer.getLoss().evaluate(new NDList(targets), new NDList(logits));
                    collector.backward(loss);
                    lossValue = loss.getFloat();
                    batchCorrect = logits.gt(0).eq(targets.gt(0.5f)).countNonzero().getLong();
                }
                StepGuard.Outcome outcome = guard.step(trainer, lossValue);
                if (outcome != StepGuard.Outcome.SKIPPED) {
                    lossSum += lossValue * batch.size();
                    correct += batchCorrect;
                    seen += batch.size();
                }
                if (outcome != StepGuard.Outcome.TAKEN
                        && guard.skipped() + guard.undone() - guardedBefore <= REPORTED_GUARDS) {
                    progress.printf(
                            Locale.ROOT,
                            "epoch %d, step %d: %s (loss %s)%n",
                            epoch,
                            b + 1,
                            outcome == StepGuard.Outcome.SKIPPED
                                    ? "skipped, NaN or infinite loss or gradient"
                                    : "undone, the update made a weight NaN or infinite",
                            lossValue);
                }
            }
            if ((b + 1) % reportEvery == 0 || b + 1 == batches.size()) {
                progress.printf(
                        Locale.ROOT,
                        "epoch %d/%d [%-20s] %3d%%  loss %.4f  accuracy %.4f  %.0f s%n",
                        epoch,
                        options.epochs(),
                        "=".repeat((int) (20L * (b + 1) / batches.size())),
                        100L * (b + 1) / batches.size(),
                        seen == 0 ? Double.NaN : lossSum / seen,
                        seen == 0 ? Double.NaN : (double) correct / seen,
                        (System.nanoTime() - start) / 1e9);
            }
        }
        long guarded = guard.skipped() + guard.undone() - guardedBefore;
        if (guarded > 0) {
            progress.printf(
                    Locale.ROOT,
                    "epoch %d: %d of %d steps guarded (NaN or infinite loss, gradient or update;"
                            + " %d skipped, %d undone in all so far)%n",
                    epoch,
                    guarded,
                    batches.size(),
                    guard.skipped(),
                    guard.undone());
        }
        return seen == 0
                ? new double[] {Double.NaN, Double.NaN}
                : new double[] {lossSum / seen, (double) correct / seen};
    }

    /** Scores {@code examples} into {@code scores} (same order) and returns the mean loss. */
    private double score(
            Trainer trainer, List<Example> examples, TextCnnConfig network, float[] scores) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> examples.get(i).ids().length));
        double lossSum = 0;
        for (int from = 0; from < order.size(); from += options.batchSize()) {
            List<Integer> indices =
                    order.subList(from, Math.min(order.size(), from + options.batchSize()));
            List<Example> batch = indices.stream().map(examples::get).toList();
            try (NDManager manager = trainer.getManager().newSubManager()) {
                NDArray logits =
                        trainer.evaluate(
                                        new NDList(padded(manager, batch, network.maxKernelSize())))
                                .singletonOrThrow();
                NDArray targets = targets(manager, batch);
                lossSum +=
                        trainer.getLoss()
                                        .evaluate(new NDList(targets), new NDList(logits))
                                        .getFloat()
                                * batch.size();
                float[] batchLogits = logits.toFloatArray();
                for (int k = 0; k < indices.size(); k++) {
                    scores[indices.get(k)] = PaddedBatch.sigmoid(batchLogits[k]);
                }
            }
        }
        return lossSum / Math.max(1, examples.size());
    }

    private static double accuracy(float[] scores, List<Example> examples) {
        long correct = 0;
        for (int i = 0; i < scores.length; i++) {
            if ((scores[i] >= 0.5f) == (examples.get(i).target() > 0.5f)) {
                correct++;
            }
        }
        return correct / (double) Math.max(1, scores.length);
    }

    /** Share of tokens that map to {@link Vocabulary#UNK}: the drift reference for the stream. */
    private static double unknownRate(List<Example> examples) {
        long unknown = 0;
        long tokens = 0;
        for (Example e : examples) {
            for (int id : e.ids()) {
                unknown += id == Vocabulary.UNK ? 1 : 0;
            }
            tokens += e.ids().length;
        }
        return tokens == 0 ? 0 : unknown / (double) tokens;
    }

    private static boolean[] labels(List<Example> examples) {
        boolean[] labels = new boolean[examples.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = examples.get(i).target() > 0.5f;
        }
        return labels;
    }

    /** How many optimizer steps an epoch of {@code examples} reviews takes (see below). */
    private int batchesPerEpoch(int examples) {
        int bucket = options.batchSize() * BUCKET_BATCHES;
        int batches = 0;
        for (int from = 0; from < examples; from += bucket) {
            int slice = Math.min(examples, from + bucket) - from;
            batches += (slice + options.batchSize() - 1) / options.batchSize();
        }
        return batches;
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
        return PaddedBatch.of(manager, batch.stream().map(Example::ids).toList(), minLength);
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

    private void writeMetrics(
            Path directory, List<TrainingResult.Epoch> epochs, int bestEpoch, Evaluation validation)
            throws IOException {
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(
                        directory.resolve("metrics.json").toFile(),
                        Map.of(
                                "options",
                                options,
                                "epochs",
                                epochs,
                                "bestEpoch",
                                bestEpoch,
                                "validation",
                                validation));
    }

    /** SHA-256 over the rows, one {@code label<TAB>text} line each, in order. */
    public static String fingerprint(List<LabeledText> rows) {
        MessageDigest digest = ModelManifest.newDigest();
        for (LabeledText row : rows) {
            digest.update(
                    ((row.positive() ? "positive" : "negative") + "\t" + row.text() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Removes what a previous export left, so the manifest lists only this model's files. */
    private static void clear(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.delete(file);
            }
        }
    }

    private static void deleteWeights(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file :
                    files.filter(p -> p.getFileName().toString().endsWith(".params")).toList()) {
                Files.delete(file);
            }
        }
    }

    private record Example(int[] ids, float target) {}
}
