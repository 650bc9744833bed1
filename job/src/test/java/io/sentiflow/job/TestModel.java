package io.sentiflow.job;

import ai.djl.Device;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.TextCnnTrainer;
import io.sentiflow.model.TrainingOptions;
import io.sentiflow.model.data.ImdbDataset;
import io.sentiflow.model.data.LabeledText;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A small TextCNN trained once per test JVM on real IMDB reviews, and the real data. */
public final class TestModel {
    private static Path directory;

    private TestModel() {}

    public static ImdbDataset imdb() {
        String configured = System.getProperty("sentiflow.shared.data");
        Path root =
                configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "data");
        Path imdb = root.resolve("imdb");
        if (!Files.isDirectory(imdb)) {
            throw new IllegalStateException(
                    "the labelled datasets are missing: expected ../shared/data/imdb beside the project (looked in "
                            + imdb.toAbsolutePath().normalize()
                            + "); set -Dsentiflow.shared.data=DIR");
        }
        return new ImdbDataset(imdb);
    }

    /**
     * Where the test models are trained once and kept: {@code -Dsentiflow.test.models} (the build
     * sets one folder for every module), else this module's {@code target/}.
     */
    private static Path models() {
        return Path.of(System.getProperty("sentiflow.test.models", "target"));
    }

    private static Path nearFree;

    /**
     * A near-free model ({@code textcnn-test@free}): 8-wide embeddings, 4 filters per width, 64
     * tokens, one epoch on 2,000 reviews; scoring it costs little beside the pipeline.
     */
    public static synchronized Path nearFree() {
        if (nearFree == null) {
            try {
                Path target = models().resolve("test-model-near-free-calibrated");
                if (!Files.isRegularFile(target.resolve(ModelManifest.FILE))) {
                    TrainingOptions options =
                            TrainingOptions.defaults()
                                    .withIdentity("textcnn-test", "free")
                                    .withEmbeddingSize(8)
                                    .withFilters(4)
                                    .withSchedule(1, 64, 10_000);
                    new TextCnnTrainer(
                                    options,
                                    Device.cpu(),
                                    new PrintStream(PrintStream.nullOutputStream()))
                            .train(imdb().sample("train", 2000, 5), target);
                }
                nearFree = target.toAbsolutePath();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return nearFree;
    }

    private static Path second;
    private static Path third;

    /**
     * A second version of the test model ({@code textcnn-test@2}): other reviews, a smaller
     * embedding, so its scores differ from version 1's.
     */
    public static synchronized Path version2() {
        if (second == null) {
            second = train("test-model-v2-calibrated", "2", 3000, 12, 16, 2);
        }
        return second;
    }

    /**
     * A copy of {@code model} in {@code into} whose weights hold one +∞, with a manifest that
     * matches its files: it passes every registry check and fails only when loaded (what a run that
     * diverged unnoticed would publish).
     */
    public static Path withInfiniteWeight(Path model, Path into) throws Exception {
        java.nio.file.Files.createDirectories(into);
        try (var files = java.nio.file.Files.list(model)) {
            for (Path file : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                java.nio.file.Files.copy(file, into.resolve(file.getFileName()));
            }
        }
        io.sentiflow.model.ModelConfig config = io.sentiflow.model.ModelConfig.read(into);
        try (ai.djl.Model loaded =
                ai.djl.Model.newInstance(io.sentiflow.model.ModelFiles.WEIGHTS_NAME)) {
            loaded.setBlock(new io.sentiflow.model.TextCnn(config.network()));
            loaded.getBlock()
                    .initialize(
                            loaded.getNDManager(),
                            ai.djl.ndarray.types.DataType.FLOAT32,
                            new ai.djl.ndarray.types.Shape(1, config.network().maxKernelSize()));
            loaded.load(
                    into,
                    io.sentiflow.model.ModelFiles.WEIGHTS_NAME,
                    java.util.Map.of("epoch", io.sentiflow.model.ModelFiles.WEIGHTS_EPOCH));
            loaded.getBlock().getParameters().stream()
                    .filter(p -> p.getKey().endsWith("embedding_embedding"))
                    .findFirst()
                    .orElseThrow()
                    .getValue()
                    .getArray()
                    .set(new ai.djl.ndarray.index.NDIndex("7, 3"), Float.POSITIVE_INFINITY);
            java.nio.file.Files.delete(io.sentiflow.model.ModelFiles.weights(into));
            loaded.setProperty("Epoch", "0");
            loaded.save(into, io.sentiflow.model.ModelFiles.WEIGHTS_NAME);
        }
        io.sentiflow.model.ModelManifest old = io.sentiflow.model.ModelManifest.read(into);
        io.sentiflow.model.ModelManifest.write(
                into,
                config,
                old.createdAt(),
                old.trainingData(),
                old.validation(),
                old.test(),
                old.referenceOovRate());
        return into;
    }

    /** A third, tiny version ({@code textcnn-test@3}). */
    public static synchronized Path version3() {
        if (third == null) {
            third = train("test-model-v3-tiny-calibrated", "3", 800, 13, 8, 1);
        }
        return third;
    }

    private static Path train(
            String folder, String version, int reviews, long seed, int embedding, int epochs) {
        return train(
                folder, version, () -> imdb().sample("train", reviews, seed), embedding, epochs);
    }

    /** The reviews a test model learns from, read only when it is trained. */
    private interface Reviews {
        List<LabeledText> read() throws IOException;
    }

    /** Trains a test model into {@code folder} unless it is there already. */
    private static Path train(
            String folder, String version, Reviews reviews, int embedding, int epochs) {
        try {
            Path target = models().resolve(folder);
            if (!Files.isRegularFile(target.resolve(ModelManifest.FILE))) {
                TrainingOptions options =
                        TrainingOptions.defaults()
                                .withIdentity("textcnn-test", version)
                                .withEmbeddingSize(embedding)
                                .withSchedule(epochs, 200, 10_000);
                new TextCnnTrainer(
                                options,
                                Device.cpu(),
                                new PrintStream(PrintStream.nullOutputStream()))
                        .train(reviews.read(), target);
            }
            return target.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path flipped;

    /**
     * A model trained as version 1 is, on the same reviews, with every label flipped ({@code
     * textcnn-test@flipped}): as sure of itself, and wrong where version 1 is right.
     */
    public static synchronized Path flipped() {
        if (flipped == null) {
            flipped = trainAsVersion1("test-model-flipped-calibrated", "flipped", true);
        }
        return flipped;
    }

    /**
     * A copy of a model directory's very files under another version: config.json and the manifest
     * name {@code version}, the manifest's checksum of config.json follows; weights are the same.
     */
    public static Path copyAs(Path model, String version, Path target) throws IOException {
        Files.createDirectories(target);
        try (var files = Files.list(model)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        var mapper = io.sentiflow.schemas.Json.mapper();
        Path config = target.resolve("config.json");
        var configTree =
                (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(config.toFile());
        configTree.put("version", version);
        mapper.writeValue(config.toFile(), configTree);
        Path manifest = target.resolve(ModelManifest.FILE);
        var manifestTree =
                (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(manifest.toFile());
        manifestTree.put("version", version);
        ((com.fasterxml.jackson.databind.node.ObjectNode) manifestTree.get("files"))
                .put("config.json", ModelManifest.sha256(config));
        mapper.writeValue(manifest.toFile(), manifestTree);
        return target;
    }

    /** The model directory, trained on first use (5,000 reviews, about 20 s on 2 cores). */
    public static synchronized Path directory() {
        if (directory == null) {
            directory = trainAsVersion1("test-model-v3-calibrated", "1", false);
        }
        return directory;
    }

    /** Trains as version 1 is trained (5,000 reviews), its labels flipped or not, once. */
    private static Path trainAsVersion1(String folder, String version, boolean flipLabels) {
        return train(
                folder,
                version,
                () ->
                        imdb().sample("train", 5000, 11).stream()
                                .map(r -> flipLabels ? new LabeledText(r.text(), !r.positive()) : r)
                                .toList(),
                32,
                3);
    }
}
