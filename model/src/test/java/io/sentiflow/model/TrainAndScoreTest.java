package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.sentiflow.model.data.LabeledText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains a small TextCNN on real IMDB reviews once, then checks what the model directory gives. */
class TrainAndScoreTest {
    @TempDir static Path workspace;
    private static Path modelDirectory;
    private static TrainingResult result;
    private static String progressLog;

    @BeforeAll
    static void trainSmallModel() throws IOException {
        List<LabeledText> reviews = SharedData.imdb().sample("train", 4000, 11);
        TrainingOptions options =
                TrainingOptions.defaults()
                        .withIdentity("textcnn-test", "7")
                        .withEmbeddingSize(32)
                        .withSchedule(3, 200, 10_000);
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        modelDirectory = workspace.resolve("model");
        result =
                new TextCnnTrainer(
                                options,
                                Device.cpu(),
                                new PrintStream(progress, true, StandardCharsets.UTF_8))
                        .train(reviews, modelDirectory);
        progressLog = progress.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldWriteAModelDirectory() throws IOException {
        assertThat(modelDirectory.resolve("config.json")).isRegularFile();
        assertThat(ModelFiles.vocabulary(modelDirectory)).isRegularFile();
        assertThat(ModelFiles.weights(modelDirectory)).isRegularFile();
        ModelConfig config = ModelConfig.read(modelDirectory);
        assertThat(config.modelVersion()).isEqualTo("textcnn-test@7");
        assertThat(config.maxLength()).isEqualTo(200);
        assertThat(config.network().embeddingSize()).isEqualTo(32);
    }

    @Test
    void aModelWhoseWeightsHoldNaNIsNotLoaded() throws Exception {
        Path control = resaved("resaved", false);
        try (SentimentScorer scorer = SentimentScorer.load(control, Device.cpu())) {
            assertThat(scorer.scoreTexts(List.of("a fine film"))[0]).isBetween(0f, 1f);
        }

        Path poisoned = resaved("poisoned", true);

        assertThatThrownBy(() -> SentimentScorer.load(poisoned, Device.cpu()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("holds NaN or infinite values");
    }

    /**
     * A copy of the trained model whose weights were loaded and saved again (one embedding value
     * set to +∞ when {@code poison}), with a manifest that matches the new files: what a run that
     * diverged unnoticed would have published.
     */
    private static Path resaved(String name, boolean poison) throws Exception {
        Path copy = workspace.resolve(name);
        Files.createDirectories(copy);
        try (var files = Files.list(modelDirectory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        ModelConfig config = ModelConfig.read(copy);
        try (ai.djl.Model model = ai.djl.Model.newInstance(ModelFiles.WEIGHTS_NAME)) {
            model.setBlock(new TextCnn(config.network()));
            // Initialized first, as the trainer's is: DJL saves a block's input shapes too.
            model.getBlock()
                    .initialize(
                            model.getNDManager(),
                            ai.djl.ndarray.types.DataType.FLOAT32,
                            new ai.djl.ndarray.types.Shape(1, config.network().maxKernelSize()));
            model.load(
                    copy,
                    ModelFiles.WEIGHTS_NAME,
                    java.util.Map.of("epoch", ModelFiles.WEIGHTS_EPOCH));
            if (poison) {
                // One value of thousands, and an infinity rather than a NaN. DJL numbers child
                // blocks: the key is e.g. "01embedding_embedding".
                model.getBlock().getParameters().stream()
                        .filter(p -> p.getKey().endsWith("embedding_embedding"))
                        .findFirst()
                        .orElseThrow()
                        .getValue()
                        .getArray()
                        .set(new ai.djl.ndarray.index.NDIndex("7, 3"), Float.POSITIVE_INFINITY);
            }
            Files.delete(ModelFiles.weights(copy));
            model.setProperty("Epoch", "0");
            model.save(copy, ModelFiles.WEIGHTS_NAME);
        }
        ModelManifest old = ModelManifest.read(copy);
        ModelManifest.write(
                copy,
                config,
                old.createdAt(),
                old.trainingData(),
                old.validation(),
                old.test(),
                old.referenceOovRate());
        return copy;
    }

    @Test
    void shouldReportProgressAndKeepTheBestEpoch() {
        assertThat(progressLog)
                .contains("epoch 1/3")
                .contains("epoch 3/3")
                .contains("validation loss");
        assertThat(result.epochs()).hasSize(3);
        assertThat(result.bestValidationAccuracy())
                .isEqualTo(
                        result.epochs().stream()
                                .mapToDouble(TrainingResult.Epoch::validationAccuracy)
                                .max()
                                .orElseThrow());
        assertThat(result.trainingSize() + result.validationSize()).isEqualTo(4000);
    }

    @Test
    void shouldBeatChanceOnTheOfficialTestSplit() throws Exception {
        List<LabeledText> test = SharedData.imdb().sample("test", 600, 5);
        try (SentimentScorer scorer = SentimentScorer.load(modelDirectory, Device.cpu())) {
            float[] scores = scorer.scoreTexts(test.stream().map(LabeledText::text).toList());
            int correct = 0;
            for (int i = 0; i < scores.length; i++) {
                if ((scores[i] >= 0.5f) == test.get(i).positive()) {
                    correct++;
                }
            }
            assertThat(correct / (double) scores.length).isGreaterThanOrEqualTo(0.6);
        }
    }

    @Test
    void calibrationShouldLowerTheCalibrationErrorOnTheTestSplitAndKeepTheLabels()
            throws Exception {
        List<LabeledText> test = SharedData.imdb().sample("test", 2000, 13);
        try (SentimentScorer scorer = SentimentScorer.load(modelDirectory, Device.cpu())) {
            double temperature = scorer.config().scoreTemperature();
            assertThat(scorer.config().temperature())
                    .as("training wrote a temperature")
                    .isNotNull();
            assertThat(temperature).isNotEqualTo(1.0);
            io.sentiflow.model.eval.Evaluator.Result result =
                    io.sentiflow.model.eval.Evaluator.evaluate(scorer, test);
            assertThat(result.evaluation().expectedCalibrationError())
                    .as("ECE on %d test reviews, temperature %.3f", test.size(), temperature)
                    .isLessThan(result.uncalibratedEce());
            float[] scores = scorer.scoreTexts(test.stream().map(LabeledText::text).toList());
            for (float score : scores) {
                assertThat(score).isBetween(0f, 1f);
                float raw = Calibration.score(Calibration.logit(score) * (float) temperature, 1);
                assertThat(raw >= 0.5f).as("the same side of 0.5").isEqualTo(score >= 0.5f);
            }
        }
    }

    @Test
    void aTemperatureShouldBeFoundWhereTheLikelihoodIsBest() {
        // Logits twice as sure as the labels warrant: z = 2·true-logit, so T = 2 fits best.
        java.util.Random random = new java.util.Random(3);
        int n = 20_000;
        float[] logits = new float[n];
        boolean[] positive = new boolean[n];
        for (int i = 0; i < n; i++) {
            double trueLogit = random.nextGaussian() * 2;
            positive[i] = random.nextDouble() < 1 / (1 + Math.exp(-trueLogit));
            logits[i] = (float) (2 * trueLogit);
        }
        assertThat(Calibration.fitTemperature(logits, positive)).isCloseTo(2.0, within(0.1));
    }

    @Test
    void shouldGiveIdenticalScoresAfterReloading() throws Exception {
        List<String> texts =
                SharedData.imdb().sample("test", 40, 9).stream().map(LabeledText::text).toList();
        float[] first;
        try (SentimentScorer scorer = SentimentScorer.load(modelDirectory, Device.cpu())) {
            first = scorer.scoreTexts(texts);
        }
        try (SentimentScorer scorer = SentimentScorer.load(modelDirectory, Device.cpu())) {
            assertThat(scorer.scoreTexts(texts)).containsExactly(first);
            for (float empty : scorer.scoreTexts(List.of("", "<br />"))) {
                assertThat(empty)
                        .as("a review with no tokens still gets a score")
                        .isBetween(0f, 1f);
            }
        }
    }

    /**
     * Through {@code inputIds}, the one place {@code score} builds its input. On the CPU a lone
     * review of this model (32-wide embeddings: libtorch's native convolution up to 640 tokens)
     * gets an empty second row.
     */
    @Test
    void eachCallIsPaddedToAStepSoCallsShareTheirShapes() throws Exception {
        try (SentimentScorer scorer = SentimentScorer.load(modelDirectory, Device.cpu());
                ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            assertThat(scorer.inputIds(manager, List.of(new int[17])).getShape().getShape())
                    .containsExactly(2, 32);
            assertThat(
                            scorer.inputIds(manager, List.of(new int[3], new int[150]))
                                    .getShape()
                                    .getShape())
                    .containsExactly(2, 160);
            // The model's maximum length (200) is a step of its own, not padded past.
            assertThat(
                            scorer.inputIds(manager, List.of(new int[195], new int[1]))
                                    .getShape()
                                    .getShape())
                    .containsExactly(2, 200);
            assertThat(scorer.inputIds(manager, List.of(new int[195])).getShape().getShape())
                    .containsExactly(2, 200);
        }
    }

    /**
     * Reviews scored one by one on the CPU (light load) write nothing to the process's stderr. Run
     * in a child JVM, whose stderr libtorch's own log reaches. The control, a convolution of one
     * review along libtorch's native path, must write its NNPACK warning first: where NNPACK starts
     * (a CPU whose caches it can read), there is nothing to check and the test is skipped.
     */
    @Test
    void loneReviewsOnTheCpuLeaveStderrQuiet() throws Exception {
        List<String> texts = new java.util.ArrayList<>();
        try (SentimentScorer scorer = SentimentScorer.load(modelDirectory, Device.cpu())) {
            for (LabeledText review : SharedData.imdb().sample("test", 400, 5)) {
                int tokens = scorer.encoder().encode(review.text()).length;
                if (tokens < 150 && texts.size() < 40) {
                    texts.add(review.text().replace('\n', ' ').replace('\r', ' '));
                }
            }
        }
        assertThat(texts).hasSize(40);
        Path input = workspace.resolve("lone-reviews.txt");
        Files.write(input, texts, StandardCharsets.UTF_8);
        Path stderrFile = workspace.resolve("lone-reviews.stderr");
        Process child =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx256m",
                                "-XX:+UseSerialGC",
                                "-Dai.djl.offline=true",
                                "-cp",
                                System.getProperty("java.class.path"),
                                LoneReviewStderr.class.getName(),
                                modelDirectory.toString(),
                                input.toString())
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(stderrFile.toFile())
                        .start();
        if (!child.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            child.destroyForcibly();
        }
        String stderr = Files.readString(stderrFile, StandardCharsets.UTF_8);
        assertThat(child.isAlive()).as("the child ended within 120 s").isFalse();
        assertThat(child.exitValue()).as(stderr).isZero();
        int controlAt = stderr.indexOf(LoneReviewStderr.NATIVE);
        int atLimit = stderr.indexOf(LoneReviewStderr.AT_LIMIT);
        int pastLimit = stderr.indexOf(LoneReviewStderr.PAST_LIMIT);
        int scoredAt = stderr.indexOf(LoneReviewStderr.SCORED);
        int endAt = stderr.indexOf(LoneReviewStderr.END);
        assertThat(List.of(controlAt, atLimit, pastLimit, scoredAt, endAt))
                .as(stderr)
                .isSorted()
                .allSatisfy(at -> assertThat(at).isNotNegative());
        org.junit.jupiter.api.Assumptions.assumeTrue(
                stderr.substring(controlAt, atLimit).contains("NNPACK"),
                "NNPACK starts on this CPU: libtorch's native convolution writes no warning here");
        assertThat(stderr.substring(atLimit, pastLimit))
                .as("an input of exactly the limit still takes the native path")
                .contains("NNPACK");
        assertThat(stderr.substring(pastLimit, scoredAt))
                .as("one position more does not")
                .doesNotContain("NNPACK");
        assertThat(stderr.substring(scoredAt, endAt))
                .as("what libtorch wrote while 40 lone reviews were scored")
                .doesNotContain("NNPACK");
    }

    @Test
    void shouldRefuseADirectoryWithoutAModel(@TempDir Path empty) {
        assertThatThrownBy(() -> SentimentScorer.load(empty, Device.cpu()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no manifest.json");
    }

    @Test
    void shouldExportMetricsACurveAndAManifestListingEveryFile() throws IOException {
        assertThat(modelDirectory.resolve("metrics.json")).isRegularFile();
        assertThat(modelDirectory.resolve("training-curve.png")).isRegularFile();
        ModelManifest manifest = ModelManifest.verify(modelDirectory);
        assertThat(manifest.files().keySet())
                .contains(
                        "config.json",
                        "vocab.txt",
                        ModelFiles.WEIGHTS_FILE,
                        "metrics.json",
                        "training-curve.png");
        assertThat(manifest.trainingData().rows()).isEqualTo(result.trainingSize());
        assertThat(manifest.trainingData().sha256()).hasSize(64);
        assertThat(manifest.referenceHistogram()).hasSize(10);
        assertThat(java.util.Arrays.stream(manifest.referenceHistogram()).sum())
                .isEqualTo(result.validationSize());
        assertThat(manifest.validation().accuracy()).isEqualTo(result.bestValidationAccuracy());
    }

    @Test
    void shouldRefuseATamperedWeightFile(@TempDir Path copy) throws IOException {
        copyModel(copy);
        byte[] weights = Files.readAllBytes(ModelFiles.weights(copy));
        weights[weights.length - 3] ^= 0x01;
        Files.write(ModelFiles.weights(copy), weights);
        assertThatThrownBy(() -> SentimentScorer.load(copy, Device.cpu()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch for " + ModelFiles.WEIGHTS_FILE);
    }

    @Test
    void shouldRefuseATamperedVocabulary(@TempDir Path copy) throws IOException {
        copyModel(copy);
        Files.writeString(ModelFiles.vocabulary(copy), "<pad>\n<unk>\nonly\n");
        assertThatThrownBy(() -> SentimentScorer.load(copy, Device.cpu()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch for vocab.txt");
    }

    @Test
    void shouldRefuseAModelWithoutAManifestOrWithAMissingFile(@TempDir Path copy)
            throws IOException {
        copyModel(copy);
        Files.delete(copy.resolve("metrics.json"));
        assertThatThrownBy(() -> SentimentScorer.load(copy, Device.cpu()))
                .hasMessageContaining("is missing metrics.json");
        Files.delete(copy.resolve(ModelManifest.FILE));
        assertThatThrownBy(() -> SentimentScorer.load(copy, Device.cpu()))
                .hasMessageContaining("no manifest.json");
    }

    private static void copyModel(Path copy) throws IOException {
        try (var files = Files.list(modelDirectory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
    }
}
