package io.sentiflow.cli;

import ai.djl.Device;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.TextCnnTrainer;
import io.sentiflow.model.TrainingOptions;
import io.sentiflow.model.data.ImdbDataset;
import io.sentiflow.model.data.LabeledText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The model the demo and the benchmark use: the one in the directory, or one trained there now. */
final class DemoModel {
    private DemoModel() {}

    static Path ensure(
            Path model, Optional<Path> data, int trainLimit, int epochs, int embeddingSize)
            throws IOException {
        if (Files.isRegularFile(model.resolve(ModelManifest.FILE))) {
            System.out.println("model: " + model.toAbsolutePath().normalize());
            return model;
        }
        ImdbDataset dataset = ImdbDataset.locate(data);
        System.out.printf(
                "no model in %s: training one on %d reviews of %s (kept for later runs) ...%n",
                model, trainLimit, dataset.file("train"));
        List<LabeledText> reviews = dataset.sample("train", trainLimit, 42);
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("textcnn-demo", "1")
                        .withEmbeddingSize(embeddingSize)
                        .withSchedule(epochs, 256, 20_000);
        new TextCnnTrainer(options, Device.cpu(), System.out).train(reviews, model);
        return model;
    }

    /**
     * A near-free model for measuring the pipeline without the model: 8-wide embeddings, 4 filters
     * per width, 64 tokens, one epoch on 2,000 reviews (seconds to train).
     */
    static Path ensureNearFree(Path model, Optional<Path> data) throws IOException {
        if (Files.isRegularFile(model.resolve(ModelManifest.FILE))) {
            return model;
        }
        System.out.println("training a near-free model in " + model + " ...");
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("textcnn-near-free", "1")
                        .withEmbeddingSize(8)
                        .withFilters(4)
                        .withSchedule(1, 64, 20_000);
        new TextCnnTrainer(
                        options,
                        Device.cpu(),
                        new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                .train(ImdbDataset.locate(data).sample("train", 2_000, 5), model);
        return model;
    }
}
