package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps non-finite numbers out of a model's weights during training: a step whose loss or gradients
 * are not finite is skipped, and a step whose update leaves a weight not finite is undone. A NaN
 * that lands once spreads to every weight and every later score, and a model that scores NaN would
 * still be saved, published and served; this is the only place to stop it. Training fails with a
 * clear message after {@code maxInARow} guarded steps in a row: then the run has diverged (a
 * learning rate far too high), not met a stray batch.
 *
 * <p>An undone step leaves the optimizer's own state (Adam's moments and step count) advanced; only
 * the weights are put back. Plain DJL, one thread, one instance per training run.
 */
final class StepGuard {
    /** What became of one step. */
    enum Outcome {
        TAKEN,
        /** The loss or a gradient was NaN or infinite: the optimizer never saw it. */
        SKIPPED,
        /** The optimizer's update made a weight NaN or infinite: the weights were put back. */
        UNDONE
    }

    private final int maxInARow;
    private int inARow;
    private long skipped;
    private long undone;

    StepGuard(int maxInARow) {
        if (maxInARow < 1) {
            throw new IllegalArgumentException("maxInARow must be positive");
        }
        this.maxInARow = maxInARow;
    }

    /**
     * Takes the optimizer step for the gradients just collected, unless the loss or a gradient is
     * not finite; undoes it when it leaves a weight that is not finite.
     *
     * @param loss the batch's loss, as read from the engine
     * @throws IllegalStateException after {@code maxInARow} guarded steps in a row
     */
    Outcome step(Trainer trainer, float loss) {
        List<NDArray> weights = new ArrayList<>();
        for (Pair<String, Parameter> parameter : trainer.getModel().getBlock().getParameters()) {
            if (parameter.getValue().requiresGradient() && parameter.getValue().isInitialized()) {
                weights.add(parameter.getValue().getArray());
            }
        }
        Outcome outcome;
        try (NDManager scratch = trainer.getManager().newSubManager()) {
            if (!Float.isFinite(loss) || !Finite.all(gradients(weights, scratch), scratch)) {
                clearGradients(weights, scratch);
                outcome = Outcome.SKIPPED;
            } else {
                NDList before = new NDList();
                for (NDArray weight : weights) {
                    NDArray copy = weight.duplicate();
                    copy.attach(scratch);
                    before.add(copy);
                }
                trainer.step();
                if (Finite.all(weights, scratch)) {
                    outcome = Outcome.TAKEN;
                } else {
                    for (int i = 0; i < weights.size(); i++) {
                        // An in-place copy on the engine's side: any data type, any device.
                        weights.get(i).set(new NDIndex("..."), before.get(i));
                    }
                    outcome = Outcome.UNDONE;
                }
            }
        }
        return count(outcome);
    }

    private Outcome count(Outcome outcome) {
        switch (outcome) {
            case TAKEN -> inARow = 0;
            case SKIPPED -> skipped++;
            case UNDONE -> undone++;
        }
        if (outcome != Outcome.TAKEN && ++inARow >= maxInARow) {
            throw new IllegalStateException(
                    "training diverged: "
                            + inARow
                            + " steps in a row had a NaN or infinite loss, gradient or update ("
                            + skipped
                            + " skipped, "
                            + undone
                            + " undone in all; try a lower --learning-rate, or --clip-gradient);"
                            + " the model directory has no manifest, so nothing can load it");
        }
        return outcome;
    }

    /** Steps skipped so far for a loss or gradient that was not finite. */
    long skipped() {
        return skipped;
    }

    /** Steps undone so far because the update left a weight that was not finite. */
    long undone() {
        return undone;
    }

    private static List<NDArray> gradients(List<NDArray> weights, NDManager scratch) {
        List<NDArray> gradients = new ArrayList<>();
        for (NDArray weight : weights) {
            NDArray gradient = weight.getGradient();
            gradient.attach(scratch);
            gradients.add(gradient);
        }
        return gradients;
    }

    /**
     * Overwrites every gradient with zeros. DJL zeroes gradients inside the optimizer's update, so
     * a skipped step would leave its NaN there for the next batch's gradients to be added to.
     */
    private static void clearGradients(List<NDArray> weights, NDManager scratch) {
        for (NDArray gradient : gradients(weights, scratch)) {
            gradient.set(new NDIndex("..."), 0f);
        }
    }
}
