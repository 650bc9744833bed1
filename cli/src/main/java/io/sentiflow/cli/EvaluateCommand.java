package io.sentiflow.cli;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.Datasets;
import io.sentiflow.model.data.ImdbDataset;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.eval.Evaluation;
import io.sentiflow.model.eval.Evaluator;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sentiflow evaluate}: a model's quality and speed on labelled reviews. */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = {
            "Score labelled reviews with a model: accuracy, precision, recall, F1, ROC-AUC, confusion matrix,",
            "expected calibration error and throughput; writes evaluation.json and evaluation.png."
        })
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory.")
    Path model;

    @Option(
            names = "--test",
            description = "Labelled data in any supported format (default: the IMDB test split).")
    Path test;

    @Option(
            names = "--data",
            description =
                    "IMDB folder for the default test split (default: ./data/imdb, then ../shared/data/imdb).")
    Path data;

    @Option(
            names = "--output",
            description =
                    "Folder for evaluation.json and evaluation.png (default: <model>/evaluation).")
    Path output;

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws Exception {
        Path testPath =
                test != null ? test : ImdbDataset.locate(Optional.ofNullable(data)).file("test");
        List<LabeledText> reviews = Datasets.read(testPath, "test");
        Device chosen = Devices.select(device, 0);
        try (SentimentScorer scorer = SentimentScorer.load(model, chosen)) {
            Evaluator.Result result = Evaluator.evaluate(scorer, reviews);
            Path folder = output != null ? output : model.resolve("evaluation");
            Evaluator.write(result, scorer.modelVersion(), testPath.toString(), folder);
            Evaluation e = result.evaluation();
            System.out.printf(
                    Locale.ROOT,
                    "%s on %s (%d reviews):%n",
                    scorer.modelVersion(),
                    testPath,
                    e.count());
            System.out.printf(
                    Locale.ROOT,
                    "  accuracy %.4f  precision %.4f  recall %.4f  F1 %.4f  ROC-AUC %.4f%n",
                    e.accuracy(),
                    e.precision(),
                    e.recall(),
                    e.f1(),
                    e.rocAuc());
            System.out.printf(
                    Locale.ROOT,
                    "  ECE %.4f calibrated (temperature %.3f), %.4f before calibration%n",
                    e.expectedCalibrationError(),
                    scorer.config().scoreTemperature(),
                    result.uncalibratedEce());
            System.out.printf(
                    Locale.ROOT,
                    "  accuracy estimated without labels %.4f (mean confidence; the job's"
                            + " estimatedAccuracy), measured %.4f%n",
                    result.estimatedAccuracy(),
                    e.accuracy());
            System.out.printf(
                    Locale.ROOT,
                    "  confusion: TP %d  FP %d  TN %d  FN %d;  %.0f reviews/s on %s%n",
                    e.truePositives(),
                    e.falsePositives(),
                    e.trueNegatives(),
                    e.falseNegatives(),
                    result.reviewsPerSecond(),
                    chosen);
            System.out.println(
                    "  wrote " + folder.resolve("evaluation.json") + " and evaluation.png");
        }
        return 0;
    }
}
