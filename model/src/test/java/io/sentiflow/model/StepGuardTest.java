package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.sentiflow.model.data.LabeledText;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A NaN or infinity never reaches the weights: real DJL steps on a one-layer model. */
class StepGuardTest {
    private Model model;
    private Trainer trainer;

    @BeforeEach
    void oneLinearLayer() {
        model = Model.newInstance("guarded", Device.cpu());
        model.setBlock(Linear.builder().setUnits(1).build());
        trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.l2Loss())
                                .optOptimizer(
                                        Optimizer.sgd()
                                                .setLearningRateTracker(
                                                        Tracker.fixed(Float.MAX_VALUE))
                                                .build()));
        trainer.initialize(new Shape(1, 3));
    }

    @AfterEach
    void close() {
        trainer.close();
        model.close();
    }

    private void useLearningRate(float rate) {
        trainer.close();
        trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.l2Loss())
                                .optOptimizer(
                                        Optimizer.sgd()
                                                .setLearningRateTracker(Tracker.fixed(rate))
                                                .build()));
    }

    /** Collects the gradients of {@code loss(output)} for one input row; returns the loss. */
    private float backward(float[] input, UnaryOperator<NDArray> loss) {
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray x = trainer.getManager().create(input, new Shape(1, 3));
            NDArray value = loss.apply(trainer.forward(new NDList(x)).singletonOrThrow()).sum();
            collector.backward(value);
            return value.getFloat();
        }
    }

    private float[] weights() {
        Parameter weight = model.getBlock().getParameters().get("weight");
        return weight.getArray().toFloatArray();
    }

    @Test
    void aNaNLossIsNeverStepped() {
        float[] before = weights();
        float loss = backward(new float[] {1, 2, 3}, out -> out.mul(Float.NaN));

        assertThat(loss).isNaN();
        assertThat(new StepGuard(5).step(trainer, loss)).isEqualTo(StepGuard.Outcome.SKIPPED);
        assertThat(weights()).containsExactly(before);
    }

    @Test
    void aNaNLossAloneIsNeverStepped() {
        useLearningRate(0.1f);
        float[] before = weights();
        backward(new float[] {1, 2, 3}, out -> out);

        assertThat(new StepGuard(5).step(trainer, Float.NaN)).isEqualTo(StepGuard.Outcome.SKIPPED);
        assertThat(weights()).containsExactly(before);
    }

    @Test
    void aTakenStepEndsARunOfGuardedOnes() {
        useLearningRate(0.1f);
        StepGuard guard = new StepGuard(2);
        float bad = backward(new float[] {1, 2, 3}, out -> out.mul(Float.NaN));
        assertThat(guard.step(trainer, bad)).isEqualTo(StepGuard.Outcome.SKIPPED);
        float good = backward(new float[] {1, 2, 3}, out -> out);
        assertThat(guard.step(trainer, good)).isEqualTo(StepGuard.Outcome.TAKEN);
        float badAgain = backward(new float[] {1, 2, 3}, out -> out.mul(Float.NaN));

        assertThat(guard.step(trainer, badAgain)).isEqualTo(StepGuard.Outcome.SKIPPED);
        assertThatThrownBy(() -> guard.step(trainer, badAgain))
                .hasMessageContaining("2 steps in a row");
    }

    @Test
    void aFiniteLossWithANaNGradientIsNeverStepped() {
        float[] before = weights();
        // sqrt at 0: the loss is 0, its gradient is ∞ · 0 = NaN.
        float loss = backward(new float[] {1, 2, 3}, out -> out.sub(out).sqrt());

        assertThat(loss).isEqualTo(0f);
        assertThat(new StepGuard(5).step(trainer, loss)).isEqualTo(StepGuard.Outcome.SKIPPED);
        assertThat(weights()).containsExactly(before);
    }

    @Test
    void aSkippedStepLeavesNoNaNForTheNextBatch() {
        useLearningRate(0.1f);
        StepGuard guard = new StepGuard(5);
        float bad = backward(new float[] {1, 2, 3}, out -> out.sub(out).sqrt());
        assertThat(guard.step(trainer, bad)).isEqualTo(StepGuard.Outcome.SKIPPED);

        float good = backward(new float[] {1, 2, 3}, out -> out);

        assertThat(guard.step(trainer, good)).isEqualTo(StepGuard.Outcome.TAKEN);
        for (float weight : weights()) {
            assertThat(weight).isFinite();
        }
    }

    @Test
    void anUpdateThatOverflowsIsUndone() {
        float[] before = weights();
        // A learning rate of Float.MAX_VALUE times a gradient of about 10: the weights overflow.
        float loss = backward(new float[] {10, 10, 10}, out -> out.mul(10));

        assertThat(new StepGuard(5).step(trainer, loss)).isEqualTo(StepGuard.Outcome.UNDONE);
        assertThat(weights()).containsExactly(before);
        // The weights own what they were given back: memory freed and reused since changes nothing.
        try (NDManager other = trainer.getManager().newSubManager()) {
            for (int i = 0; i < 100; i++) {
                other.full(new Shape(1, 3), 7f).add(1f);
            }
        }
        assertThat(weights()).containsExactly(before);
    }

    @Test
    void aFiniteStepIsTaken() {
        useLearningRate(0.1f);
        float[] before = weights();
        float loss = backward(new float[] {1, 2, 3}, out -> out);

        assertThat(new StepGuard(5).step(trainer, loss)).isEqualTo(StepGuard.Outcome.TAKEN);
        float[] after = weights();
        assertThat(after).isNotEqualTo(before);
        for (float weight : after) {
            assertThat(weight).isFinite();
        }
    }

    @Test
    void guardedStepsInARowStopTheRun() {
        StepGuard guard = new StepGuard(3);
        float loss = backward(new float[] {1, 2, 3}, out -> out.mul(Float.NaN));
        guard.step(trainer, loss);
        guard.step(trainer, loss);

        assertThatThrownBy(() -> guard.step(trainer, loss))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("training diverged: 3 steps in a row");
        assertThat(guard.skipped()).isEqualTo(3);
    }

    @Test
    void aDivergingTrainingRunFailsAndSavesNoWeights(@TempDir Path workspace) throws Exception {
        List<LabeledText> reviews = SharedData.imdb().sample("train", 600, 3);
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("textcnn-diverging", "1")
                        .withEmbeddingSize(8)
                        .withFilters(4)
                        .withLearningRate(1e30f)
                        .withBatchSize(8)
                        .withPretraining(0, 5)
                        .withSchedule(1, 64, 5_000);
        Path directory = workspace.resolve("model");

        assertThatThrownBy(
                        () ->
                                new TextCnnTrainer(
                                                options,
                                                Device.cpu(),
                                                new PrintStream(OutputStream.nullOutputStream()))
                                        .train(reviews, directory))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("training diverged");
        assertThat(ModelFiles.weights(directory)).doesNotExist();
        assertThat(directory.resolve(ModelManifest.FILE)).doesNotExist();
    }
}
