package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.sentiflow.model.registry.ModelRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the files a manifest lists, byte for byte, ever load: an extra weights file, a link, a
 * changed byte or a path outside the directory are refused before DJL sees anything.
 */
class VerifiedModelTest {
    @TempDir static Path trained;
    @TempDir Path work;

    @BeforeAll
    static void trainATinyModel() throws IOException {
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("tiny", "1")
                        .withEmbeddingSize(8)
                        .withSchedule(1, 100, 2_000);
        new TextCnnTrainer(options, Device.cpu(), new PrintStream(PrintStream.nullOutputStream()))
                .train(SharedData.imdb().sample("train", 400, 3), trained.resolve("model"));
    }

    private Path copy() throws IOException {
        Path copy = work.resolve("model-" + System.nanoTime());
        Files.createDirectories(copy);
        try (var files = Files.list(trained.resolve("model"))) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        return copy;
    }

    @Test
    void aCleanModelShouldLoadFromTheCheckedBytes() throws Exception {
        Path model = copy();
        // A subdirectory (evaluate writes evaluation/ there) is never read, so it is allowed.
        Files.createDirectories(model.resolve("evaluation"));
        Files.writeString(model.resolve("evaluation/evaluation.json"), "{}");
        VerifiedModel verified = VerifiedModel.read(model);
        assertThat(verified.bytes(ModelFiles.WEIGHTS_FILE))
                .isEqualTo(Files.readAllBytes(ModelFiles.weights(model)));
        try (SentimentScorer scorer = SentimentScorer.load(verified, Device.cpu())) {
            assertThat(scorer.scoreTexts(List.of("a wonderful film"))[0]).isBetween(0f, 1f);
        }
    }

    @Test
    void anUnlistedWeightsFileBesideAVerifiedModelShouldBeRefused() throws Exception {
        Path model = copy();
        Path extra = model.resolve(ModelFiles.WEIGHTS_NAME + "-0001.params");
        byte[] garbage = new byte[4096];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(extra, garbage);
        assertThatThrownBy(() -> VerifiedModel.read(model))
                .hasMessageContaining("textcnn-0001.params, which its manifest does not list");
        assertThatThrownBy(() -> SentimentScorer.load(model, Device.cpu()))
                .hasMessageContaining("does not list");
        assertThatThrownBy(() -> ModelManifest.verify(model)).hasMessageContaining("does not list");
        assertThatThrownBy(() -> new ModelRegistry(work.resolve("registry")).publish(model))
                .hasMessageContaining("does not list");
    }

    @Test
    void aSymlinkedWeightsFileShouldBeRefusedEvenWithTheRightBytes() throws Exception {
        Path model = copy();
        Path elsewhere = work.resolve("weights-elsewhere.params");
        Files.move(ModelFiles.weights(model), elsewhere);
        Files.createSymbolicLink(ModelFiles.weights(model), elsewhere);
        assertThat(ModelManifest.sha256(ModelFiles.weights(model)))
                .isEqualTo(ModelManifest.read(model).files().get(ModelFiles.WEIGHTS_FILE));
        assertThatThrownBy(() -> VerifiedModel.read(model))
                .hasMessageContaining(ModelFiles.WEIGHTS_FILE + " is a symbolic link");
        assertThatThrownBy(() -> SentimentScorer.load(model, Device.cpu()))
                .hasMessageContaining("symbolic link");
    }

    @Test
    void aChangedFileShouldBeRefused() throws Exception {
        Path model = copy();
        byte[] weights = Files.readAllBytes(ModelFiles.weights(model));
        weights[weights.length - 3] ^= 0x20;
        Files.write(ModelFiles.weights(model), weights);
        assertThatThrownBy(() -> SentimentScorer.load(model, Device.cpu()))
                .hasMessageContaining("checksum mismatch for " + ModelFiles.WEIGHTS_FILE);
    }

    /** A manifest listing {@code extra} more files, each {@code bytes} long (sparse). */
    private Path listingMore(int extra, long bytes) throws IOException {
        Path model = copy();
        Path manifest = model.resolve(ModelManifest.FILE);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var tree =
                (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(manifest.toFile());
        var files = (com.fasterxml.jackson.databind.node.ObjectNode) tree.get("files");
        for (int i = 0; i < extra; i++) {
            String name = "extra-" + i + ".bin";
            try (var file = new java.io.RandomAccessFile(model.resolve(name).toFile(), "rw")) {
                file.setLength(bytes);
            }
            files.put(name, "0".repeat(64));
        }
        mapper.writeValue(manifest.toFile(), tree);
        return model;
    }

    @Test
    void aManifestListingMoreFilesOrBytesThanAModelHasShouldBeRefusedUnread() throws Exception {
        int listed = VerifiedModel.read(listingMore(0, 0)).manifest().files().size();
        assertThatThrownBy(
                        () ->
                                VerifiedModel.read(
                                        listingMore(VerifiedModel.MAX_FILES - listed + 1, 1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("lists 65 files, more than the 64");
        // Three sparse files of 900 MiB, each under the 1 GiB a file may have: refused before
        // any is read (their checksums, all zeros, are never compared).
        assertThatThrownBy(() -> VerifiedModel.read(listingMore(3, 900L << 20)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("more than the " + VerifiedModel.MAX_TOTAL_BYTES);
        // Under both bounds, the extra file is read and its checksum checked.
        assertThatThrownBy(() -> VerifiedModel.read(listingMore(1, 10)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch for extra-0.bin");
    }

    @Test
    void aManifestNamingAFileOutsideItsDirectoryShouldBeRefused() throws Exception {
        Path model = copy();
        Path manifest = model.resolve(ModelManifest.FILE);
        Files.writeString(
                manifest,
                Files.readString(manifest)
                        .replace("\"" + ModelFiles.VOCABULARY_FILE + "\"", "\"../vocab.txt\""));
        Files.copy(ModelFiles.vocabulary(model), work.resolve("vocab.txt"));
        assertThatThrownBy(() -> VerifiedModel.read(model)).isInstanceOf(IOException.class);
    }
}
