package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TextCnnTest {
    private static final TextCnnConfig CONFIG =
            new TextCnnConfig(50, 16, 8, List.of(3, 4, 5), 0.5f);
    private static Model model;

    @BeforeAll
    static void initialize() {
        Engine.getInstance().setRandomSeed(7);
        model = Model.newInstance("textcnn-test", Device.cpu());
        model.setBlock(new TextCnn(CONFIG));
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void shouldUseTheSeedsHyperparametersByDefault() {
        TextCnnConfig defaults = TextCnnConfig.defaults(20_000);
        assertThat(defaults.embeddingSize()).isEqualTo(300);
        assertThat(defaults.filters()).isEqualTo(100);
        assertThat(defaults.kernelSizes()).containsExactly(3, 4, 5);
        assertThat(defaults.dropout()).isEqualTo(0.5f);
    }

    @ParameterizedTest(name = "batch {0} x length {1}")
    @CsvSource({"1, 5", "2, 17", "8, 64", "33, 400"})
    void shouldGiveOneLogitPerReview(int batch, int length) {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray ids =
                    manager.randomInteger(
                            0, CONFIG.vocabularySize(), new Shape(batch, length), DataType.INT64);
            NDArray logits = forward(manager, ids);
            assertThat(logits.getShape()).isEqualTo(new Shape(batch, 1));
            assertThat(model.getBlock().getOutputShapes(new Shape[] {ids.getShape()})[0])
                    .isEqualTo(new Shape(batch, 1));
            for (float value : logits.toFloatArray()) {
                assertThat(Float.isFinite(value)).isTrue();
            }
        }
    }

    @Test
    void shouldScoreAReviewTheSameAloneAndInAPaddedBatch() throws Exception {
        Random random = new Random(3);
        List<int[]> reviews = new ArrayList<>();
        for (int length : new int[] {2, 5, 9, 40, 120}) {
            int[] ids = new int[length];
            for (int i = 0; i < length; i++) {
                ids[i] = 2 + random.nextInt(CONFIG.vocabularySize() - 2);
            }
            reviews.add(ids);
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            float[] together =
                    forward(manager, PaddedBatch.of(manager, reviews, CONFIG.maxKernelSize()))
                            .toFloatArray();
            for (int i = 0; i < reviews.size(); i++) {
                float alone =
                        forward(
                                        manager,
                                        PaddedBatch.of(
                                                manager,
                                                List.of(reviews.get(i)),
                                                CONFIG.maxKernelSize()))
                                .toFloatArray()[0];
                assertThat(together[i]).as("review %d", i).isCloseTo(alone, within(1e-5f));
                assertThat(PaddedBatch.sigmoid(alone)).isBetween(0f, 1f);
            }
        }
    }

    @Test
    void trainingShouldConvolveAsInferenceDoes() {
        TextCnnConfig noDropout = new TextCnnConfig(50, 16, 8, List.of(3, 4, 5), 0f);
        try (Model plain = Model.newInstance("textcnn-no-dropout")) {
            plain.setBlock(new TextCnn(noDropout));
            plain.getBlock().initialize(plain.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
            Random random = new Random(9);
            for (int length : new int[] {5, 6, 41}) {
                try (NDManager manager = plain.getNDManager().newSubManager()) {
                    long[] values = new long[3 * length];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = i % length > length - 3 ? 0 : 2 + random.nextInt(48);
                    }
                    NDArray ids = manager.create(values, new Shape(3, length));
                    ParameterStore store = new ParameterStore(manager, false);
                    float[] training =
                            plain.getBlock()
                                    .forward(store, new NDList(ids), true)
                                    .singletonOrThrow()
                                    .toFloatArray();
                    float[] inference =
                            plain.getBlock()
                                    .forward(store, new NDList(ids), false)
                                    .singletonOrThrow()
                                    .toFloatArray();
                    for (int i = 0; i < 3; i++) {
                        assertThat(training[i]).isCloseTo(inference[i], within(1e-5f));
                    }
                }
            }
        }
    }

    @Test
    void inferenceShouldGiveTheLogitsOfForwardForPaddedAndUnpaddedBatches() {
        Random random = new Random(5);
        for (int[] lengths : new int[][] {{2, 5, 9, 40, 120}, {30, 30, 30}, {7}, {0, 12}, {3}}) {
            List<int[]> reviews = randomReviews(random, lengths);
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDArray ids = PaddedBatch.of(manager, reviews, CONFIG.maxKernelSize());
                float[] expected = forward(manager, ids).toFloatArray();
                float[] inferred =
                        ((TextCnn) model.getBlock())
                                .infer(new ParameterStore(manager, false), ids, lengths)
                                .toFloatArray();
                assertThat(inferred).as(java.util.Arrays.toString(lengths)).hasSize(lengths.length);
                for (int i = 0; i < lengths.length; i++) {
                    assertThat(inferred[i]).isCloseTo(expected[i], within(1e-5f));
                }
            }
        }
    }

    /** Reviews of {@code lengths} random ids, none of them padding or unknown. */
    private static List<int[]> randomReviews(Random random, int[] lengths) {
        List<int[]> reviews = new ArrayList<>();
        for (int length : lengths) {
            int[] ids = new int[length];
            for (int i = 0; i < length; i++) {
                ids[i] = 2 + random.nextInt(CONFIG.vocabularySize() - 2);
            }
            reviews.add(ids);
        }
        return reviews;
    }

    @Test
    void stepsOfPaddingShouldNotChangeALogit() {
        Random random = new Random(6);
        for (int[] lengths :
                new int[][] {{2, 5, 9, 40, 120, 130, 257}, {17}, {200}, {0, 3}, {128, 129}}) {
            List<int[]> reviews = randomReviews(random, lengths);
            try (NDManager manager = model.getNDManager().newSubManager()) {
                TextCnn network = (TextCnn) model.getBlock();
                ParameterStore store = new ParameterStore(manager, false);
                NDArray exact = PaddedBatch.of(manager, reviews, CONFIG.maxKernelSize());
                NDArray stepped =
                        PaddedBatch.forInference(manager, reviews, CONFIG.maxKernelSize(), 400);
                assertThat(stepped.getShape().get(1)).isGreaterThan(exact.getShape().get(1));
                float[] expected = network.infer(store, exact, lengths).toFloatArray();
                float[] inferred = network.infer(store, stepped, lengths).toFloatArray();
                for (int i = 0; i < lengths.length; i++) {
                    assertThat(inferred[i])
                            .as(java.util.Arrays.toString(lengths))
                            .isCloseTo(expected[i], within(1e-5f));
                }
            }
        }
    }

    /**
     * A lone review shaped for the CPU ({@link PaddedBatch#forCpuInference}) keeps the logit it has
     * in a batch of its own, whether given an empty second row (this small model's 16-wide
     * embeddings) or padded past libtorch's native convolution (an embedding size passed so that
     * its step's input holds exactly the most values that path takes: one token more).
     */
    @Test
    void aLoneReviewShapedOffTheNativeConvolutionKeepsItsLogit() {
        Random random = new Random(8);
        for (int length : new int[] {0, 1, 7, 17, 60, 100, 150}) {
            List<int[]> lone = randomReviews(random, new int[] {length});
            int step = PaddedBatch.step(Math.max(length, CONFIG.maxKernelSize()), 400);
            int atTheLimit = (int) (PaddedBatch.NATIVE_CONVOLUTION_MAX_VALUES / step);
            try (NDManager manager = model.getNDManager().newSubManager()) {
                TextCnn network = (TextCnn) model.getBlock();
                ParameterStore store = new ParameterStore(manager, false);
                int[] lengths = {length};
                float expected =
                        network.infer(
                                        store,
                                        PaddedBatch.of(manager, lone, CONFIG.maxKernelSize()),
                                        lengths)
                                .toFloatArray()[0];
                NDArray pastNative =
                        PaddedBatch.forCpuInference(
                                manager, lone, CONFIG.maxKernelSize(), 400, atTheLimit);
                NDArray paired =
                        PaddedBatch.forCpuInference(
                                manager, lone, CONFIG.maxKernelSize(), 400, CONFIG.embeddingSize());
                assertThat(pastNative.getShape().getShape())
                        .as("%d tokens", length)
                        .containsExactly(1, step + 1);
                assertThat(paired.getShape().getShape())
                        .as("%d tokens", length)
                        .containsExactly(2, step);
                float alone = network.infer(store, pastNative, lengths).toFloatArray()[0];
                float[] pair = network.infer(store, paired, new int[] {length, 0}).toFloatArray();
                assertThat(alone).as("%d tokens", length).isCloseTo(expected, within(1e-5f));
                assertThat(pair[0]).as("%d tokens", length).isCloseTo(expected, within(1e-5f));
            }
        }
    }

    @Test
    void shouldPadEachBatchOnlyToItsLongestReview() {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray batch =
                    PaddedBatch.of(
                            manager,
                            List.of(new int[] {4, 5, 6}, new int[] {4, 5, 6, 7, 8, 9, 10}),
                            5);
            assertThat(batch.getShape()).isEqualTo(new Shape(2, 7));
            assertThat(batch.toLongArray())
                    .containsExactly(4, 5, 6, 0, 0, 0, 0, 4, 5, 6, 7, 8, 9, 10);
            NDArray shortBatch = PaddedBatch.of(manager, List.of(new int[] {3}), 5);
            assertThat(shortBatch.getShape())
                    .as("never shorter than the widest kernel")
                    .isEqualTo(new Shape(1, 5));
        }
    }

    @Test
    void shouldStartFromTheGivenEmbeddings() {
        float[] table = new float[CONFIG.vocabularySize() * CONFIG.embeddingSize()];
        for (int i = 0; i < table.length; i++) {
            table[i] = (i % 97) / 97f - 0.5f;
        }
        try (Model pretrained = Model.newInstance("textcnn-pretrained", Device.cpu())) {
            pretrained.setBlock(new TextCnn(CONFIG, table));
            pretrained
                    .getBlock()
                    .initialize(pretrained.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
            NDArray embedding =
                    pretrained.getBlock().getParameters().stream()
                            .filter(p -> p.getKey().endsWith("embedding"))
                            .findFirst()
                            .orElseThrow()
                            .getValue()
                            .getArray();
            assertThat(embedding.getShape())
                    .isEqualTo(new Shape(CONFIG.vocabularySize(), CONFIG.embeddingSize()));
            assertThat(embedding.toFloatArray()).containsExactly(table);
        }
        assertThatThrownBy(() -> new TextCnn(CONFIG, new float[7]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("initial vectors hold 7 values");
    }

    private static NDArray forward(NDManager manager, NDArray ids) {
        return model.getBlock()
                .forward(new ParameterStore(manager, false), new NDList(ids), false)
                .singletonOrThrow();
    }
}
