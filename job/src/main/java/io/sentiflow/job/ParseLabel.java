package io.sentiflow.job;

import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ReviewLabel;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Checks records of the review-labels topic against {@code review-label.v1}; bad ones are
 * dead-lettered.
 */
public final class ParseLabel extends ProcessFunction<KafkaRecord, ReviewLabel> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<ReviewLabel> out) {
        try {
            out.collect(Json.reviewLabel(record.value));
        } catch (ContractViolation violation) {
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetters.of(record, violation.reason(), violation.getMessage()));
        }
    }
}
