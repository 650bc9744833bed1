package io.sentiflow.cli;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.TextCnnTrainer;
import io.sentiflow.model.TrainingOptions;
import io.sentiflow.model.TrainingResult;
import io.sentiflow.model.data.DatasetCleaner;
import io.sentiflow.model.data.Datasets;
import io.sentiflow.model.data.ImdbDataset;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.Splits;
import io.sentiflow.model.embedding.WordVectors;
import io.sentiflow.model.eval.Evaluator;
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

/** {@code sentiflow train}: a TextCNN from labelled reviews to an exported model directory. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train a TextCNN and export a model directory (weights, vocabulary, config, metrics, manifest with checksums).",
            "Reads IMDB CSV, the aclImdb folder or .tar.gz, MR rt-polarity files, or JSON lines."
        })
public final class TrainCommand implements Callable<Integer> {
    @Option(
            names = "--data",
            description =
                    "IMDB folder with train.csv[.gz] and test.csv[.gz] (default: ./data/imdb, then ../shared/data/imdb).")
    Path data;

    @Option(
            names = {"--train", "--train-file"},
            description = "Training data in any supported format, instead of <data>/train.csv.")
    Path trainFile;

    @Option(
            names = "--test",
            description =
                    "Test data to report on (default: <data>/test.csv when --train is not given).")
    Path testFile;

    @Option(
            names = "--extra",
            description =
                    "More labelled rows to train on, e.g. labelled review-samples as JSON lines.")
    List<Path> extra = new ArrayList<>();

    @Option(
            names = "--clean",
            negatable = true,
            defaultValue = "true",
            description =
                    "Clean the training rows and drop duplicates and test leakage (default: ${DEFAULT-VALUE}).")
    boolean clean;

    @Option(
            names = "--folds",
            description =
                    "Cross-validate with this many stratified folds instead of exporting a model (Kim 2014 uses 10 on MR).")
    Integer folds;

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
            defaultValue = "4",
            description = "Most epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--patience",
            defaultValue = "2",
            description =
                    "Stop after this many epochs without a better validation accuracy; 0 never (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(
            names = "--embedding-size",
            defaultValue = "128",
            description = "Embedding width (default: ${DEFAULT-VALUE}; the seed used 300).")
    int embeddingSize;

    @Option(
            names = "--filters",
            defaultValue = "200",
            description = "Filters per kernel size (default: ${DEFAULT-VALUE}; the seed used 100).")
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
            defaultValue = "800",
            description = "Tokens kept per review (default: ${DEFAULT-VALUE}; the seed used 400).")
    int maxLength;

    @Option(
            names = "--max-vocabulary",
            defaultValue = "40000",
            description =
                    "Vocabulary size, PAD and UNK included (default: ${DEFAULT-VALUE}; the seed used 20000).")
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
            names = "--learning-rate-decay",
            defaultValue = "1",
            description =
                    "Multiply the learning rate by this after every epoch; 1 keeps it (default: ${DEFAULT-VALUE}).")
    float learningRateDecay;

    @Option(
            names = "--full-rate-epochs",
            defaultValue = "1",
            description =
                    "Epochs at the full learning rate before it decays (default: ${DEFAULT-VALUE}).")
    int fullRateEpochs;

    @Option(
            names = "--weight-decay",
            defaultValue = "0",
            description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(
            names = "--clip-gradient",
            defaultValue = "0",
            description = "Clip gradients to [-c, c]; 0 for none (default).")
    float clipGradient;

    @Option(
            names = "--pretrain-epochs",
            description =
                    "Epochs of skip-gram pre-training of the word vectors on the training text (and --unlabelled text) before training; 0 starts from random vectors, as the seed does (default: "
                            + DEFAULT_PRETRAIN_EPOCHS
                            + ", or 0 with --embeddings).")
    Integer pretrainEpochs;

    @Option(
            names = "--pretrain-window",
            defaultValue = "5",
            description = "Skip-gram context window on either side (default: ${DEFAULT-VALUE}).")
    int pretrainWindow;

    @Option(
            names = "--embeddings",
            description =
                    "Start the embedding table from these word vectors (sentiflow embeddings, word2vec .bin or text, GloVe text); their width must equal --embedding-size.")
    Path embeddings;

    @Option(
            names = "--unlabelled",
            description =
                    "More text for the word-vector pre-training only, in any supported format; its labels are ignored.")
    List<Path> unlabelled = new ArrayList<>();

    @Option(
            names = "--validation-fraction",
            defaultValue = "0.2",
            description =
                    "Share of each label held out to pick the best epoch (default: ${DEFAULT-VALUE}, as in the seed).")
    double validationFraction;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--limit",
            description = "Train on a seeded random sample of at most this many rows.")
    Integer limit;

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--skip-test", description = "Do not score the test data after training.")
    boolean skipTest;

    static final int DEFAULT_PRETRAIN_EPOCHS = 5;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (pretrainEpochs != null && pretrainEpochs > 0 && embeddings != null) {
            throw new IllegalArgumentException(
                    "--pretrain-epochs learns word vectors and --embeddings reads them: give one");
        }
        int pretrain =
                pretrainEpochs != null
                        ? pretrainEpochs
                        : embeddings != null ? 0 : DEFAULT_PRETRAIN_EPOCHS;
        if (!unlabelled.isEmpty() && pretrain == 0) {
            throw new IllegalArgumentException(
                    "--unlabelled text is only used to pre-train word vectors, which --pretrain-epochs 0 or --embeddings turn off");
        }
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
                        patience,
                        batchSize,
                        learningRate,
                        learningRateDecay,
                        fullRateEpochs,
                        weightDecay,
                        clipGradient,
                        pretrain,
                        pretrainWindow,
                        validationFraction,
                        seed);
        Path trainPath;
        Path testPath = testFile;
        if (trainFile != null) {
            trainPath = trainFile;
        } else {
            ImdbDataset dataset = ImdbDataset.locate(Optional.ofNullable(data));
            trainPath = dataset.file("train");
            testPath = testPath != null ? testPath : dataset.file("test");
        }
        List<LabeledText> rows = new ArrayList<>(Datasets.read(trainPath, "train"));
        StringBuilder source = new StringBuilder(trainPath.getFileName().toString());
        for (Path more : extra) {
            rows.addAll(Datasets.read(more, "train"));
            source.append(" + ").append(more.getFileName());
        }
        List<LabeledText> test =
                testPath == null || skipTest ? List.of() : Datasets.read(testPath, "test");
        out.printf(
                Locale.ROOT,
                "read %d training rows from %s%s%n",
                rows.size(),
                source,
                test.isEmpty() ? "" : " and " + test.size() + " test rows from " + testPath);
        if (clean) {
            DatasetCleaner.Result cleaned = DatasetCleaner.clean(rows, test);
            out.println("cleaning: " + cleaned.report());
            rows = cleaned.rows();
        }
        rows = sample(rows, limit, seed);
        List<String> unlabelledTexts = new ArrayList<>();
        for (Path more : unlabelled) {
            Datasets.read(more, "unlabelled").forEach(r -> unlabelledTexts.add(r.text()));
            source.append(" + unlabelled ").append(more.getFileName());
        }
        if (!unlabelled.isEmpty()) {
            out.printf(
                    Locale.ROOT,
                    "read %d unlabelled texts for word-vector pre-training from %s%n",
                    unlabelledTexts.size(),
                    unlabelled);
        }
        WordVectors vectors = null;
        if (embeddings != null) {
            vectors = WordVectors.load(embeddings);
            source.append(" + vectors ")
                    .append(embeddings.getFileName())
                    .append(" sha256:")
                    .append(ModelManifest.sha256(embeddings));
            out.printf(
                    Locale.ROOT,
                    "read %d word vectors of width %d from %s%n",
                    vectors.size(),
                    vectors.dimension(),
                    embeddings);
        }
        Device chosen = Devices.select(device, 0);
        if (folds != null) {
            return crossValidate(options, rows, unlabelledTexts, vectors, chosen, out);
        }
        TrainingResult result =
                new TextCnnTrainer(options, chosen, out)
                        .withUnlabelled(unlabelledTexts)
                        .withWordVectors(vectors)
                        .train(rows, output, source.toString());
        out.printf(
                Locale.ROOT,
                "model written to %s: best epoch %d, validation accuracy %.4f, %.0f s%n",
                output,
                result.bestEpoch(),
                result.bestValidationAccuracy(),
                result.seconds());
        if (!test.isEmpty()) {
            try (SentimentScorer scorer = SentimentScorer.load(output, chosen)) {
                Evaluator.Result evaluated = Evaluator.evaluate(scorer, test);
                Evaluator.write(
                        evaluated,
                        scorer.modelVersion(),
                        testPath.toString(),
                        output.resolve("evaluation"));
                ModelManifest.read(output).withTest(output, evaluated.evaluation());
                out.printf(
                        Locale.ROOT,
                        "test: %d reviews, accuracy %.4f, F1 %.4f, ROC-AUC %.4f (%.0f reviews/s)%n",
                        test.size(),
                        evaluated.evaluation().accuracy(),
                        evaluated.evaluation().f1(),
                        evaluated.evaluation().rocAuc(),
                        evaluated.reviewsPerSecond());
            }
        }
        return 0;
    }

    private int crossValidate(
            TrainingOptions options,
            List<LabeledText> rows,
            List<String> unlabelledTexts,
            WordVectors vectors,
            Device chosen,
            PrintStream out)
            throws Exception {
        List<Splits.Split> splits = Splits.folds(rows, folds, seed);
        double sum = 0;
        double sumSquares = 0;
        double eceBefore = 0;
        double eceAfter = 0;
        for (int f = 0; f < splits.size(); f++) {
            Splits.Split split = splits.get(f);
            // The held-out fold is the test; the best epoch is chosen on a slice of the training
            // folds.
            Splits.Split inner = Splits.stratified(split.train(), validationFraction, seed + f);
            Path foldDirectory = output.resolve("fold-" + (f + 1));
            new TextCnnTrainer(
                            options.withSeed(seed + f),
                            chosen,
                            new PrintStream(PrintStream.nullOutputStream()))
                    .withUnlabelled(unlabelledTexts)
                    .withWordVectors(vectors)
                    .train(inner.train(), inner.validation(), foldDirectory, "fold " + (f + 1));
            try (SentimentScorer scorer = SentimentScorer.load(foldDirectory, chosen)) {
                Evaluator.Result result = Evaluator.evaluate(scorer, split.validation());
                double accuracy = result.evaluation().accuracy();
                sum += accuracy;
                sumSquares += accuracy * accuracy;
                eceBefore += result.uncalibratedEce();
                eceAfter += result.evaluation().expectedCalibrationError();
                out.printf(
                        Locale.ROOT,
                        "fold %d/%d: accuracy %.4f, ECE %.4f (before calibration %.4f) on %d"
                                + " held-out rows%n",
                        f + 1,
                        folds,
                        accuracy,
                        result.evaluation().expectedCalibrationError(),
                        result.uncalibratedEce(),
                        split.validation().size());
            }
        }
        double mean = sum / folds;
        double deviation = Math.sqrt(Math.max(0, sumSquares / folds - mean * mean));
        out.printf(
                Locale.ROOT,
                "%d-fold cross-validation: mean accuracy %.4f (± %.4f), mean ECE %.4f (before"
                        + " calibration %.4f)%n",
                folds,
                mean,
                deviation,
                eceAfter / folds,
                eceBefore / folds);
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
}
