package io.sentiflow.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a child JVM by {@code TrainAndScoreTest}, whose stderr libtorch writes to as well: marks
 * on stderr a convolution of one review along libtorch's native CPU path (the control), then lone
 * reviews scored by {@link SentimentScorer}, so the test can read what each part made libtorch
 * write.
 *
 * <p>Arguments: the model directory, and a file of review texts, one per line.
 */
public final class LoneReviewStderr {
    static final String NATIVE = "--- a convolution along the native path";
    static final String AT_LIMIT = "--- a convolution of one review at the limit";
    static final String PAST_LIMIT = "--- a convolution of one review just past the limit";
    static final String SCORED = "--- lone reviews scored";
    static final String END = "--- end";

    private LoneReviewStderr() {}

    private static void convolve(NDManager manager, NDArray weight, int channels, long length) {
        NDArray input = manager.randomUniform(0, 1, new Shape(1, channels, length));
        Conv1d.conv1d(input, weight).singletonOrThrow().close();
        input.close();
    }

    public static void main(String[] args) throws Exception {
        List<String> texts = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8);
        try (SentimentScorer scorer = SentimentScorer.load(Path.of(args[0]), Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            int embeddingSize = scorer.config().network().embeddingSize();
            NDArray weight = manager.randomUniform(0, 1, new Shape(4, embeddingSize, 3));
            long limit = PaddedBatch.NATIVE_CONVOLUTION_MAX_VALUES / embeddingSize;
            System.err.println(NATIVE);
            convolve(manager, weight, embeddingSize, 32);
            System.err.println(AT_LIMIT);
            convolve(manager, weight, embeddingSize, limit);
            System.err.println(PAST_LIMIT);
            convolve(manager, weight, embeddingSize, limit + 1);
            System.err.println(SCORED);
            for (String text : texts) {
                scorer.scoreTexts(List.of(text));
            }
            System.err.println(END);
        }
    }
}
