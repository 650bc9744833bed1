package io.sentiflow.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A trained TextCNN loaded from a model directory onto one device, scoring batches of reviews.
 *
 * <p>Owns the native model: open it once, score many batches, close it. Each batch's arrays live in
 * a manager of its own that is closed after the batch, so native memory does not grow. Not
 * thread-safe: one thread scores with it at a time (in Flink, each subtask's scorer thread).
 */
public final class SentimentScorer implements AutoCloseable {
    private final ModelConfig config;
    private final ModelManifest manifest;
    private final TextEncoder encoder;
    private final Model model;
    private final ParameterStore parameters;
    private final TextCnn network;
    private final int minLength;

    private SentimentScorer(
            ModelConfig config, ModelManifest manifest, TextEncoder encoder, Model model) {
        this.config = config;
        this.manifest = manifest;
        this.encoder = encoder;
        this.model = model;
        this.parameters = new ParameterStore(model.getNDManager(), false);
        this.network = (TextCnn) model.getBlock();
        this.minLength = config.network().maxKernelSize();
    }

    /**
     * Loads the model directory written by {@link TextCnnTrainer} onto {@code device}, after
     * checking every file against the SHA-256 in its manifest and that the directory holds no file
     * the manifest does not list ({@link VerifiedModel}).
     *
     * @throws IOException when a file is missing, changed, unlisted, a link, or not a model, or a
     *     weight is NaN or infinite
     */
    public static SentimentScorer load(Path directory, Device device) throws IOException {
        return load(VerifiedModel.read(directory), device);
    }

    /**
     * Loads a checked model onto {@code device}: configuration and vocabulary from the checked
     * bytes, and the weights from those bytes too, written to a directory only this process can
     * write, loaded by exact file name and deleted again.
     */
    public static SentimentScorer load(VerifiedModel verified, Device device) throws IOException {
        ModelConfig config = verified.config();
        Vocabulary vocabulary = verified.vocabulary();
        if (vocabulary.size() != config.network().vocabularySize()) {
            throw new IOException(
                    "vocabulary has "
                            + vocabulary.size()
                            + " entries but config.json says "
                            + config.network().vocabularySize());
        }
        Model model = Model.newInstance(ModelFiles.WEIGHTS_NAME, device);
        Path weights = Files.createTempDirectory("sentiflow-weights-", ownerOnly());
        try {
            Files.write(
                    weights.resolve(ModelFiles.WEIGHTS_FILE),
                    verified.bytes(ModelFiles.WEIGHTS_FILE),
                    StandardOpenOption.CREATE_NEW);
            model.setBlock(new TextCnn(config.network()));
            // The epoch names the one file: DJL would otherwise pick the highest-numbered one.
            model.load(weights, ModelFiles.WEIGHTS_NAME, Map.of("epoch", ModelFiles.WEIGHTS_EPOCH));
            // Checksums prove the files are the ones published, not that they can score: weights
            // with a NaN (say from a run that diverged) would score every review NaN.
            try (NDManager scratch = model.getNDManager().newSubManager()) {
                String broken = Finite.firstNonFinite(model.getBlock().getParameters(), scratch);
                if (broken != null) {
                    throw new IOException(
                            "weight " + broken + " holds NaN or infinite values: not loaded");
                }
            }
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(
                    "cannot load weights from " + verified.directory() + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(weights.resolve(ModelFiles.WEIGHTS_FILE));
            Files.deleteIfExists(weights);
        }
        TextEncoder encoder = new TextEncoder(new Tokenizer(config.maxLength()), vocabulary);
        return new SentimentScorer(config, verified.manifest(), encoder, model);
    }

    private static FileAttribute<?>[] ownerOnly() {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[] {
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))
            };
        }
        return new FileAttribute<?>[0];
    }

    /** Calibrated scores of logits: {@code sigmoid(logit / T)} with the model's temperature. */
    private float[] scores(float[] logits) {
        double temperature = config.scoreTemperature();
        float[] scores = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scores[i] =
                    temperature == 1
                            ? PaddedBatch.sigmoid(logits[i])
                            : Calibration.score(logits[i], temperature);
        }
        return scores;
    }

    public ModelConfig config() {
        return config;
    }

    /** The manifest the files were checked against when the model loaded. */
    public ModelManifest manifest() {
        return manifest;
    }

    /** {@code name@version} of the loaded model. */
    public String modelVersion() {
        return config.modelVersion();
    }

    public Device device() {
        return model.getNDManager().getDevice();
    }

    public TextEncoder encoder() {
        return encoder;
    }

    /**
     * P(positive) for each review's token ids, in order; empty sequences are allowed. One padded
     * array goes in and one array of logits comes out, whatever the batch size; every array of the
     * call lives in a manager closed at its end.
     */
    public float[] score(List<int[]> batch) throws TranslateException {
        if (batch.isEmpty()) {
            return new float[0];
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray ids = inputIds(manager, batch);
            // Rows past the batch's (a lone review's empty companion on the CPU) have no tokens.
            int[] lengths = new int[Math.toIntExact(ids.getShape().get(0))];
            for (int i = 0; i < batch.size(); i++) {
                lengths[i] = batch.get(i).length;
            }
            float[] logits = network.infer(parameters, ids, lengths).toFloatArray();
            return scores(Arrays.copyOf(logits, batch.size()));
        } catch (RuntimeException e) {
            throw new TranslateException("scoring a batch of " + batch.size() + " failed", e);
        }
    }

    /**
     * The N×T ids the engine gets for {@code batch}: T stepped ({@link PaddedBatch#step}); on the
     * CPU, a lone review shaped to keep off libtorch's native convolution ({@link
     * PaddedBatch#forCpuInference}), so N may be one more than the batch.
     */
    NDArray inputIds(NDManager manager, List<int[]> batch) {
        if (device().getDeviceType().equals(Device.Type.CPU)) {
            return PaddedBatch.forCpuInference(
                    manager,
                    batch,
                    minLength,
                    config.maxLength(),
                    config.network().embeddingSize());
        }
        return PaddedBatch.forInference(manager, batch, minLength, config.maxLength());
    }

    /** P(positive) for each review text, in order. */
    public float[] scoreTexts(List<String> texts) throws TranslateException {
        List<int[]> batch = new ArrayList<>(texts.size());
        for (String text : texts) {
            batch.add(encoder.encode(text));
        }
        return score(batch);
    }

    @Override
    public void close() {
        model.close();
    }
}
