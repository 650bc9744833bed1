package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import java.io.Serializable;
import org.apache.flink.util.OutputTag;

/**
 * The side output every operator sends rejected input to, and how a rejection is written: the
 * record's value kept whole up to {@code dead-letters.max-value-bytes}, else cut and marked, so a
 * dead letter always fits in one Kafka record whatever a producer sent.
 */
public final class DeadLetters implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> TAG =
            new OutputTag<>("dead-letters", ContractType.DEAD_LETTER);

    private final int maxValueBytes;

    public DeadLetters(int maxValueBytes) {
        this.maxValueBytes = maxValueBytes;
    }

    public static DeadLetters of(JobConfig config) {
        return new DeadLetters(config.deadLetterMaxValueBytes());
    }

    /** The dead letter of {@code record}, rejected now for {@code reason}. */
    public DeadLetter letter(KafkaRecord record, DeadLetter.Reason reason, String message) {
        return DeadLetter.of(
                record.value,
                record.topic,
                record.partition,
                record.offset,
                reason,
                message,
                System.currentTimeMillis(),
                maxValueBytes);
    }
}
