package io.sentiflow.model;

import io.sentiflow.model.eval.Evaluation;
import java.nio.file.Path;
import java.util.List;

/**
 * What a training run produced.
 *
 * @param modelDirectory where the model was written
 * @param epochs per-epoch figures, in order
 * @param bestEpoch the epoch (1-based) whose weights were kept
 * @param trainingSize reviews trained on
 * @param validationSize reviews held out
 * @param validation the kept model's evaluation on the held-out reviews
 * @param seconds wall time
 */
public record TrainingResult(
        Path modelDirectory,
        List<Epoch> epochs,
        int bestEpoch,
        int trainingSize,
        int validationSize,
        Evaluation validation,
        double seconds) {

    /**
     * One epoch's figures.
     *
     * @param guardedSteps steps skipped or undone for a NaN or ∞ (see {@link StepGuard}); runs with
     *     the same seed give the same result only when neither had any
     */
    public record Epoch(
            int number,
            double trainLoss,
            double trainAccuracy,
            double validationLoss,
            double validationAccuracy,
            double seconds,
            long guardedSteps) {}

    /** Steps skipped or undone for a NaN or ∞, over all epochs. */
    public long guardedSteps() {
        return epochs.stream().mapToLong(Epoch::guardedSteps).sum();
    }

    public double bestValidationAccuracy() {
        return epochs.get(bestEpoch - 1).validationAccuracy();
    }
}
