package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.MrReader;
import io.sentiflow.model.data.Splits;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A few epochs on a few thousand real MR sentences, seeded. */
class MrTrainingTest {

    @Test
    void aFewEpochsOnMrShouldReachTwoThirdsValidationAccuracy(@TempDir Path dir)
            throws IOException {
        List<LabeledText> mr = MrReader.read(SharedData.root().resolve("mr"));
        List<LabeledText> sample =
                Splits.stratified(mr, 0.4, 5).validation(); // 4,265 sentences, balanced
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("textcnn-mr", "1")
                        .withEmbeddingSize(64)
                        .withSchedule(4, 60, 10_000);
        TrainingResult result =
                new TextCnnTrainer(
                                options,
                                Device.cpu(),
                                new PrintStream(PrintStream.nullOutputStream()))
                        .train(sample, dir, "mr sample");
        assertThat(result.trainingSize() + result.validationSize()).isEqualTo(sample.size());
        assertThat(result.bestValidationAccuracy()).isGreaterThanOrEqualTo(0.65);
        TrainingResult again =
                new TextCnnTrainer(
                                options,
                                Device.cpu(),
                                new PrintStream(PrintStream.nullOutputStream()))
                        .train(sample, dir.resolve("again"), "mr sample");
        assertThat(again.bestValidationAccuracy())
                .as("same seed, same result")
                .isEqualTo(result.bestValidationAccuracy());
    }
}
