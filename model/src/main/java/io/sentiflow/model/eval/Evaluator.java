package io.sentiflow.model.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sentiflow.model.Calibration;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.LabeledText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores labelled reviews with a loaded model and measures how well and how fast it did. */
public final class Evaluator {
    private static final int BATCH = 256;

    private Evaluator() {}

    /**
     * The outcome of an evaluation.
     *
     * @param evaluation the metrics
     * @param roc the ROC curve
     * @param reviewsPerSecond scoring throughput, tokenization included, batches of 256 by length
     * @param uncalibratedEce the expected calibration error of the same scores without the model's
     *     temperature (equal to the evaluation's for an uncalibrated model)
     * @param estimatedAccuracy the accuracy the job would estimate without labels: the mean of
     *     max(p, 1 − p) over the scores
     */
    public record Result(
            Evaluation evaluation,
            RocCurve roc,
            double reviewsPerSecond,
            double uncalibratedEce,
            double estimatedAccuracy) {}

    public static Result evaluate(SentimentScorer scorer, List<LabeledText> reviews)
            throws Exception {
        List<Integer> order = new ArrayList<>();
        List<int[]> ids = new ArrayList<>(reviews.size());
        long start = System.nanoTime();
        for (int i = 0; i < reviews.size(); i++) {
            ids.add(scorer.encoder().encode(reviews.get(i).text()));
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> ids.get(i).length));
        float[] scores = new float[reviews.size()];
        for (int from = 0; from < order.size(); from += BATCH) {
            List<Integer> indices = order.subList(from, Math.min(order.size(), from + BATCH));
            float[] batch = scorer.score(indices.stream().map(ids::get).toList());
            for (int k = 0; k < batch.length; k++) {
                scores[indices.get(k)] = batch[k];
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        boolean[] positive = new boolean[reviews.size()];
        for (int i = 0; i < positive.length; i++) {
            positive[i] = reviews.get(i).positive();
        }
        double temperature = scorer.config().scoreTemperature();
        float[] uncalibrated = new float[scores.length];
        double confidence = 0;
        for (int i = 0; i < scores.length; i++) {
            confidence += Math.max(scores[i], 1 - scores[i]);
            uncalibrated[i] =
                    Calibration.score(Calibration.logit(scores[i]) * (float) temperature, 1);
        }
        return new Result(
                Evaluation.of(scores, positive),
                RocCurve.of(scores, positive),
                reviews.size() / seconds,
                Evaluation.of(uncalibrated, positive).expectedCalibrationError(),
                scores.length == 0 ? 0 : confidence / scores.length);
    }

    /** Writes {@code evaluation.json} and {@code evaluation.png} into {@code directory}. */
    public static void write(Result result, String model, String data, Path directory)
            throws IOException {
        Files.createDirectories(directory);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model);
        json.put("data", data);
        json.put("metrics", result.evaluation());
        json.put("uncalibratedExpectedCalibrationError", result.uncalibratedEce());
        json.put("estimatedAccuracy", result.estimatedAccuracy());
        json.put("reviewsPerSecond", result.reviewsPerSecond());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(directory.resolve("evaluation.json").toFile(), json);
        Charts.evaluation(result.evaluation(), result.roc(), directory.resolve("evaluation.png"));
    }
}
