package io.sentiflow.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained TextCNN loaded from a model directory onto one device, scoring batches of reviews.
 *
 * <p>Owns the native model and its predictor: open it once, score many batches, close it. Each
 * batch's arrays live in the predictor's per-batch manager, so native memory does not grow. Not
 * thread-safe: one scorer per thread (in Flink, per parallel instance).
 */
public final class SentimentScorer implements AutoCloseable {
    private final ModelConfig config;
    private final ModelManifest manifest;
    private final TextEncoder encoder;
    private final Model model;
    private final Predictor<int[], Float> predictor;

    private SentimentScorer(
            ModelConfig config, ModelManifest manifest, TextEncoder encoder, Model model) {
        this.config = config;
        this.manifest = manifest;
        this.encoder = encoder;
        this.model = model;
        this.predictor =
                model.newPredictor(new TokenIdsTranslator(config.network().maxKernelSize()));
    }

    /**
     * Loads the model directory written by {@link TextCnnTrainer} onto {@code device}, after
     * checking every file against the SHA-256 in its manifest.
     *
     * @throws IOException when a file is missing, changed, or not a model
     */
    public static SentimentScorer load(Path directory, Device device) throws IOException {
        ModelManifest manifest = ModelManifest.verify(directory);
        ModelConfig config = ModelConfig.read(directory);
        Vocabulary vocabulary = Vocabulary.load(ModelFiles.vocabulary(directory));
        if (vocabulary.size() != config.network().vocabularySize()) {
            throw new IOException(
                    "vocabulary has "
                            + vocabulary.size()
                            + " entries but config.json says "
                            + config.network().vocabularySize());
        }
        if (!Files.isRegularFile(ModelFiles.weights(directory))) {
            throw new IOException("missing weights " + ModelFiles.weights(directory));
        }
        Model model = Model.newInstance(ModelFiles.WEIGHTS_NAME, device);
        try {
            model.setBlock(new TextCnn(config.network()));
            model.load(directory, ModelFiles.WEIGHTS_NAME);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(
                    "cannot load weights from " + directory + ": " + e.getMessage(), e);
        }
        TextEncoder encoder = new TextEncoder(new Tokenizer(config.maxLength()), vocabulary);
        return new SentimentScorer(config, manifest, encoder, model);
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

    /** P(positive) for each review's token ids, in order. Empty sequences are allowed. */
    public float[] score(List<int[]> batch) throws TranslateException {
        List<Float> scores = predictor.batchPredict(batch);
        float[] result = new float[scores.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = scores.get(i);
        }
        return result;
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
        predictor.close();
        model.close();
    }
}
