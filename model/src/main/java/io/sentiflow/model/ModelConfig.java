package io.sentiflow.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a model directory's {@code config.json} says: the model's identity, the network's
 * hyperparameters and the tokenizer settings it was trained with.
 *
 * @param name model name, e.g. {@code textcnn-imdb}
 * @param version model version, e.g. {@code 1}
 * @param network the TextCNN hyperparameters
 * @param maxLength the most tokens read from a review
 * @param temperature the calibration temperature: a score is {@code sigmoid(logit / T)}; absent
 *     (older models): 1
 */
@com.fasterxml.jackson.annotation.JsonInclude(
        com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record ModelConfig(
        String name, String version, TextCnnConfig network, int maxLength, Double temperature) {

    /** An uncalibrated model. */
    public ModelConfig(String name, String version, TextCnnConfig network, int maxLength) {
        this(name, version, network, maxLength, null);
    }

    public static final String FILE = "config.json";
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ModelConfig {
        if (name == null || name.isBlank() || version == null || version.isBlank()) {
            throw new IllegalArgumentException("a model needs a name and a version");
        }
        if (network == null) {
            throw new IllegalArgumentException("config.json has no network section");
        }
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        }
        if (temperature != null && !(temperature > 0 && temperature < 1e6)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
    }

    /** The temperature scores are computed with: 1 for an uncalibrated model. */
    public double scoreTemperature() {
        return temperature == null ? 1 : temperature;
    }

    /** The same model, calibrated with {@code t}. */
    public ModelConfig withTemperature(double t) {
        return new ModelConfig(name, version, network, maxLength, t);
    }

    /** {@code name@version}, as sentiments carry it. */
    public String modelVersion() {
        return name + "@" + version;
    }

    public static ModelConfig read(Path modelDirectory) throws IOException {
        Path file = modelDirectory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("not a model directory (no " + FILE + "): " + modelDirectory);
        }
        try {
            return MAPPER.readValue(file.toFile(), ModelConfig.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("invalid " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses config.json bytes; {@code source} names them in errors. */
    public static ModelConfig parse(byte[] bytes, String source) throws IOException {
        try {
            return MAPPER.readValue(bytes, ModelConfig.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("invalid " + source + ": " + e.getMessage(), e);
        }
    }

    public void write(Path modelDirectory) throws IOException {
        MAPPER.writeValue(modelDirectory.resolve(FILE).toFile(), this);
    }
}
