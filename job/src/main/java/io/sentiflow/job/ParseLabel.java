package io.sentiflow.job;

import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ReviewLabel;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Checks records of the review-labels topic against {@code review-label.v1}; bad ones, and ones
 * larger than {@code labels.max-bytes} (unread), are dead-lettered.
 */
public final class ParseLabel extends ProcessFunction<KafkaRecord, ReviewLabel> {
    private static final long serialVersionUID = 1L;

    private final int maxBytes;
    private final DeadLetters deadLetters;

    public ParseLabel(int maxBytes, DeadLetters deadLetters) {
        this.maxBytes = maxBytes;
        this.deadLetters = deadLetters;
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<ReviewLabel> out) {
        if (record.value != null && record.value.length > maxBytes) {
            ctx.output(
                    DeadLetters.TAG,
                    deadLetters.letter(
                            record,
                            DeadLetter.Reason.RECORD_TOO_LARGE,
                            "label record has "
                                    + record.value.length
                                    + " bytes, more than labels.max-bytes "
                                    + maxBytes));
            return;
        }
        try {
            out.collect(Json.reviewLabel(record.value));
        } catch (ContractViolation violation) {
            ctx.output(
                    DeadLetters.TAG,
                    deadLetters.letter(record, violation.reason(), violation.getMessage()));
        }
    }
}
