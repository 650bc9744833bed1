package io.sentiflow.job;

import io.sentiflow.model.Tokenizer;
import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Checks each record against the {@code review.v1} contract. Valid reviews go on; anything else —
 * null, oversized, invalid UTF-8 or JSON, missing or mistyped fields, blank text, text with no
 * words once markup is removed (only {@code <br />}, say) — goes to the dead-letter side output
 * with its reason and the record's bytes. Never throws on input.
 */
public final class ParseReview extends ProcessFunction<KafkaRecord, ParsedReview> {
    private static final long serialVersionUID = 1L;

    private final int maxBytes;
    private final DeadLetters deadLetters;
    private transient Counter received;
    private transient Counter rejected;

    public ParseReview(int maxBytes, DeadLetters deadLetters) {
        this.maxBytes = maxBytes;
        this.deadLetters = deadLetters;
    }

    @Override
    public void open(OpenContext openContext) {
        received = getRuntimeContext().getMetricGroup().counter("reviewsIn");
        rejected = getRuntimeContext().getMetricGroup().counter("reviewsRejected");
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<ParsedReview> out) {
        received.inc();
        if (record.value != null && record.value.length > maxBytes) {
            reject(
                    ctx,
                    record,
                    DeadLetter.Reason.TEXT_TOO_LONG,
                    "record value has "
                            + record.value.length
                            + " bytes, more than review.max-bytes "
                            + maxBytes);
            return;
        }
        try {
            Review review = Json.review(record.value);
            if (!Tokenizer.hasToken(review.text())) {
                reject(
                        ctx,
                        record,
                        DeadLetter.Reason.EMPTY_TEXT,
                        "review has no words once markup and whitespace are removed");
                return;
            }
            out.collect(new ParsedReview(review.id(), review.text(), review.label(), record));
        } catch (ContractViolation violation) {
            reject(ctx, record, violation.reason(), violation.getMessage());
        } catch (RuntimeException unexpected) {
            reject(ctx, record, DeadLetter.Reason.INVALID_JSON, "unparseable: " + unexpected);
        }
    }

    private void reject(Context ctx, KafkaRecord record, DeadLetter.Reason reason, String message) {
        rejected.inc();
        ctx.output(DeadLetters.TAG, deadLetters.letter(record, reason, message));
    }
}
