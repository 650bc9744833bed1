package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.sentiflow.model.VerifiedModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scorer's work on the real test model, outside Flink. */
class ScorerTest {
    private static ReviewToScore review(String id, String text, int[] ids) {
        ParsedReview review = new ParsedReview();
        review.id = id;
        review.setText(text);
        return new ReviewToScore(review, text, "textcnn-test@1", ids, 0);
    }

    @Test
    void oneUnscorableReviewShouldNotSinkItsBatch() throws Exception {
        try (LoadedModel model =
                LoadedModel.load(
                        "textcnn-test@1",
                        VerifiedModel.read(TestModel.directory()),
                        Device.cpu())) {
            String text = "a wonderful, moving film";
            int[] good = model.encode(text);
            Batcher.Batch batch =
                    new Batcher.Batch(
                            "textcnn-test@1",
                            List.of(
                                    review("good-1", text, good),
                                    // An id beyond the vocabulary: the engine refuses the batch.
                                    review("broken", "dull", new int[] {Integer.MAX_VALUE / 2}),
                                    review("good-2", text, good)));
            Scorer.Result result = Scorer.score(batch, model, model);
            assertThat(result.fatal()).isNull();
            assertThat(result.errors()[0]).isNull();
            assertThat(result.errors()[1]).startsWith("scoring failed");
            assertThat(result.errors()[2]).isNull();
            assertThat(result.scores()[0]).isBetween(0f, 1f).isEqualTo(result.scores()[2]);
            // The shadow (here the same model) re-encodes the text and scores the whole batch.
            assertThat(result.shadow().scores()).hasSize(3);
            // The same review alone and in a batch of three: libtorch may pick another kernel
            // for another shape, so the last bits can differ (seen on an AVX-512 machine).
            assertThat(result.shadow().scores()[0]).isCloseTo(result.scores()[0], within(1e-5f));
            assertThat(result.shadow().scores()[1]).isBetween(0f, 1f);
        }
    }
}
