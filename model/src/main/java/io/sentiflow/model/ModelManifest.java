package io.sentiflow.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sentiflow.model.eval.Evaluation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A model directory's {@code manifest.json}: what the model is, what it was trained on, how well it
 * did, the reference score histogram for drift checks, and the SHA-256 of every other file. A model
 * is loaded only when every checksum matches ({@link #verify}).
 *
 * @param name model name
 * @param version model version
 * @param createdAt ISO-8601 creation time
 * @param trainingData where the training rows came from and their SHA-256
 * @param validation metrics on the held-out validation rows
 * @param test metrics on a test split, when one was scored (else null)
 * @param referenceHistogram 10-bin histogram of the validation scores
 * @param referenceOovRate share of validation tokens outside the vocabulary
 * @param files SHA-256 of each file of the directory, by name (the manifest itself excluded)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelManifest(
        String name,
        String version,
        String createdAt,
        TrainingData trainingData,
        Evaluation validation,
        Evaluation test,
        long[] referenceHistogram,
        Double referenceOovRate,
        Map<String, String> files) {

    public static final String FILE = "manifest.json";
    private static final ObjectMapper MAPPER =
            new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * Where the training rows came from.
     *
     * @param source a description of the source (file names and format)
     * @param rows how many rows were trained on (validation excluded)
     * @param sha256 SHA-256 over the training rows, one {@code label<TAB>text} line each, in order
     */
    public record TrainingData(String source, int rows, String sha256) {}

    /** Writes the manifest for {@code directory}, checksumming every file in it. */
    public static ModelManifest write(
            Path directory,
            ModelConfig config,
            String createdAt,
            TrainingData data,
            Evaluation validation,
            Evaluation test,
            Double referenceOovRate)
            throws IOException {
        ModelManifest manifest =
                new ModelManifest(
                        config.name(),
                        config.version(),
                        createdAt,
                        data,
                        validation,
                        test,
                        validation == null ? null : validation.scoreHistogram(),
                        referenceOovRate,
                        checksums(directory));
        MAPPER.writeValue(directory.resolve(FILE).toFile(), manifest);
        return manifest;
    }

    /** The same manifest with test metrics added; rewrites only manifest.json. */
    public ModelManifest withTest(Path directory, Evaluation testEvaluation) throws IOException {
        ModelManifest updated =
                new ModelManifest(
                        name,
                        version,
                        createdAt,
                        trainingData,
                        validation,
                        testEvaluation,
                        referenceHistogram,
                        referenceOovRate,
                        files);
        MAPPER.writeValue(directory.resolve(FILE).toFile(), updated);
        return updated;
    }

    public static ModelManifest read(Path directory) throws IOException {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "model directory "
                            + directory
                            + " has no "
                            + FILE
                            + ": not an exported model (train it again with `sentiflow train`)");
        }
        try {
            return MAPPER.readValue(file.toFile(), ModelManifest.class);
        } catch (IOException e) {
            throw new IOException("invalid " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses manifest bytes; {@code source} names them in errors. */
    static ModelManifest parse(byte[] bytes, String source) throws IOException {
        try {
            return MAPPER.readValue(bytes, ModelManifest.class);
        } catch (IOException e) {
            throw new IOException("invalid " + source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks every file of a model directory against the SHA-256 in its manifest, and that the
     * directory holds nothing else ({@link VerifiedModel#read}).
     *
     * @throws IOException naming the first file that is missing, changed, unlisted or a link
     */
    public static ModelManifest verify(Path directory) throws IOException {
        return VerifiedModel.read(directory).manifest();
    }

    /** SHA-256 of every regular file directly in {@code directory} except the manifest. */
    public static Map<String, String> checksums(Path directory) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(FILE)) {
                    sums.put(name, sha256(file));
                }
            }
        }
        return sums;
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }
}
