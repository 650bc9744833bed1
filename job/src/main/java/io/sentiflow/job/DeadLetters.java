package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import org.apache.flink.util.OutputTag;

/** The side output every operator sends rejected input to, and how a rejection is written. */
public final class DeadLetters {
    public static final OutputTag<DeadLetter> TAG = new OutputTag<>("dead-letters") {};

    private DeadLetters() {}

    public static DeadLetter of(KafkaRecord record, DeadLetter.Reason reason, String message) {
        return DeadLetter.of(
                record.value,
                record.topic,
                record.partition,
                record.offset,
                reason,
                message,
                System.currentTimeMillis());
    }
}
