package io.sentiflow.job;

import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.ModelFiles;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.TextEncoder;
import io.sentiflow.model.Tokenizer;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.schemas.DeadLetter;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns review text into the model's token ids with the tokenizer and vocabulary of the model
 * directory, the same code training used. A review with no tokens left (only markup or
 * punctuation-free whitespace) is dead-lettered as empty.
 */
public final class TokenizeReview extends ProcessFunction<ParsedReview, TokenizedReview> {
    private static final long serialVersionUID = 1L;

    private final String modelPath;
    private transient TextEncoder encoder;

    public TokenizeReview(String modelPath) {
        this.modelPath = modelPath;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        Path directory = Path.of(modelPath);
        ModelManifest.verify(directory);
        ModelConfig config = ModelConfig.read(directory);
        encoder =
                new TextEncoder(
                        new Tokenizer(config.maxLength()),
                        Vocabulary.load(ModelFiles.vocabulary(directory)));
    }

    @Override
    public void processElement(ParsedReview review, Context ctx, Collector<TokenizedReview> out) {
        int[] ids = encoder.encode(review.text);
        if (ids.length == 0) {
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetters.of(
                            review.source,
                            DeadLetter.Reason.EMPTY_TEXT,
                            "review has no words once markup and whitespace are removed"));
            return;
        }
        out.collect(new TokenizedReview(review.id, ids, review.source, review.label));
    }
}
