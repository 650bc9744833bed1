package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.ModelFiles;
import io.sentiflow.model.Tokenizer;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.DeadLetter;
import java.util.List;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The job tokenizes exactly as training did: the same ids for the same text. */
class TokenizeReviewTest {

    @Test
    void theJobShouldProduceTheIdsTrainingProducedForTheSameText() throws Exception {
        List<LabeledText> reviews = TestModel.imdb().sample("test", 200, 13);
        ModelConfig config = ModelConfig.read(TestModel.directory());
        // What training does: the Tokenizer at the model's max length, then the saved vocabulary.
        Tokenizer tokenizer = new Tokenizer(config.maxLength());
        Vocabulary vocabulary = Vocabulary.load(ModelFiles.vocabulary(TestModel.directory()));

        try (LoadedModel model =
                        LoadedModel.load(
                                config.modelVersion(),
                                io.sentiflow.model.VerifiedModel.read(TestModel.directory()),
                                Device.cpu());
                var harness =
                        new OneInputStreamOperatorTestHarness<ParsedReview, TokenizedReview>(
                                new ProcessOperator<>(
                                        new TokenizeReview(new DeadLetters(65536))))) {
            harness.open();
            for (int i = 0; i < reviews.size(); i++) {
                harness.processElement(
                        new StreamRecord<>(
                                new ParsedReview(
                                        "r" + i, reviews.get(i).text(), null, new KafkaRecord())));
            }
            harness.processElement(
                    new StreamRecord<>(
                            new ParsedReview(
                                    "markup",
                                    "<br /><br />",
                                    null,
                                    new KafkaRecord("t", 0, 1, 0, new byte[0]))));
            List<TokenizedReview> out = harness.extractOutputValues();
            assertThat(out).hasSize(reviews.size());
            for (int i = 0; i < reviews.size(); i++) {
                // What the job does: the tokens travel, the scoring version encodes them.
                assertThat(model.encode(out.get(i).tokens))
                        .as("review %d", i)
                        .containsExactly(
                                vocabulary.encode(tokenizer.tokenize(reviews.get(i).text())));
            }
            assertThat(harness.getSideOutput(DeadLetters.TAG))
                    .singleElement()
                    .extracting(r -> r.getValue().reason())
                    .isEqualTo(DeadLetter.Reason.EMPTY_TEXT);
        }
    }
}
