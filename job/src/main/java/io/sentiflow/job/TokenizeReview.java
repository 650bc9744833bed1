package io.sentiflow.job;

import io.sentiflow.model.Tokenizer;
import io.sentiflow.schemas.DeadLetter;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Splits review text into tokens with the tokenizer training used. The tokens, not ids, travel on:
 * each model version has its own vocabulary and maximum length, and {@link ScoreBatch} turns the
 * tokens into the ids of the version that scores the review. A review with no tokens (only markup
 * or whitespace) is dead-lettered as empty.
 */
public final class TokenizeReview extends ProcessFunction<ParsedReview, TokenizedReview> {
    private static final long serialVersionUID = 1L;

    /** The most tokens passed on per review; a model may read at most this many. */
    public static final int MAX_TOKENS = 4096;

    private final DeadLetters deadLetters;
    private transient Tokenizer tokenizer;

    public TokenizeReview(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public void open(OpenContext openContext) {
        tokenizer = new Tokenizer(MAX_TOKENS);
    }

    @Override
    public void processElement(ParsedReview review, Context ctx, Collector<TokenizedReview> out) {
        List<String> tokens = tokenizer.tokenize(review.text);
        if (tokens.isEmpty()) {
            ctx.output(
                    DeadLetters.TAG,
                    deadLetters.letter(
                            review.source,
                            DeadLetter.Reason.EMPTY_TEXT,
                            "review has no words once markup and whitespace are removed"));
            return;
        }
        out.collect(
                new TokenizedReview(
                        review.id, tokens.toArray(String[]::new), review.source, review.label));
    }
}
