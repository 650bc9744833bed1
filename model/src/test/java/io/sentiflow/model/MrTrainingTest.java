package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.MrReader;
import io.sentiflow.model.data.Splits;
import io.sentiflow.model.embedding.WordVectors;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
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

    @Test
    void preTrainedWordVectorsShouldStartTheEmbeddingsAndStayReproducible(@TempDir Path dir)
            throws IOException {
        List<LabeledText> mr = MrReader.read(SharedData.root().resolve("mr"));
        List<LabeledText> sample = Splits.stratified(mr, 0.4, 5).validation();
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("textcnn-mr", "1")
                        .withEmbeddingSize(64)
                        .withSchedule(4, 60, 10_000)
                        .withPretraining(2, 5);
        // Unlabelled IMDB reviews widen the text the vectors learn from, as for the MR benchmark.
        List<String> unlabelled =
                SharedData.imdb().sample("train", 3_000, 9L).stream()
                        .map(LabeledText::text)
                        .toList();
        TextCnnTrainer trainer =
                new TextCnnTrainer(
                                options,
                                Device.cpu(),
                                new PrintStream(PrintStream.nullOutputStream()))
                        .withUnlabelled(unlabelled);
        TrainingResult result = trainer.train(sample, dir.resolve("one"), "mr sample");
        assertThat(result.bestValidationAccuracy()).isGreaterThanOrEqualTo(0.65);
        TrainingResult again = trainer.train(sample, dir.resolve("two"), "mr sample");
        assertThat(again.bestValidationAccuracy())
                .as("same seed, same vectors, same result")
                .isEqualTo(result.bestValidationAccuracy());
        assertThat(Files.readAllBytes(dir.resolve("two").resolve(ModelFiles.WEIGHTS_FILE)))
                .isEqualTo(Files.readAllBytes(dir.resolve("one").resolve(ModelFiles.WEIGHTS_FILE)));

        WordVectors narrow = new WordVectors(16, List.of("film"), new float[16]);
        assertThatThrownBy(() -> trainer.withWordVectors(narrow))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16 wide but the embedding size is 64");
    }
}
