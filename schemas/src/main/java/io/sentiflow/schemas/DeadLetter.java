package io.sentiflow.schemas;

import java.util.Base64;

/**
 * An input that could not become a sentiment ({@code dead-letter.v1}): the original bytes, where
 * they came from, and why they were rejected.
 *
 * @param originalValue the record value, base64; {@code null} for a null Kafka value
 * @param sourceTopic topic the record was read from
 * @param sourcePartition its partition
 * @param sourceOffset its offset
 * @param reason machine-readable reason code
 * @param message human-readable detail; never contains review text
 * @param timestamp when it was dead-lettered, epoch milliseconds
 */
public record DeadLetter(
        String originalValue,
        String sourceTopic,
        int sourcePartition,
        long sourceOffset,
        Reason reason,
        String message,
        long timestamp) {

    /** Why an input was rejected. The names are the wire values. */
    public enum Reason {
        NULL_VALUE,
        INVALID_UTF8,
        INVALID_JSON,
        NOT_AN_OBJECT,
        MISSING_FIELD,
        WRONG_TYPE,
        EMPTY_TEXT,
        TEXT_TOO_LONG,
        INVALID_FIELD,
        SCORING_ERROR,
        /** A control command names a model version the registry does not hold. */
        UNKNOWN_MODEL_VERSION,
        /** A control command names a retired model version. */
        RETIRED_MODEL_VERSION,
        /** The version's files fail their checksums or do not load: it never receives traffic. */
        MODEL_REFUSED,
        /** A valid command that cannot apply now, e.g. a rollback with nothing to roll back to. */
        COMMAND_NOT_APPLICABLE
    }

    public DeadLetter {
        Contracts.require(sourceTopic, "sourceTopic", "DeadLetter");
        Contracts.require(reason, "reason", "DeadLetter");
        Contracts.require(message, "message", "DeadLetter");
        if (sourcePartition < 0 || sourceOffset < 0 || timestamp < 0) {
            throw new ContractViolation(
                    Reason.INVALID_FIELD,
                    "DeadLetter.sourcePartition, sourceOffset and timestamp must be >= 0");
        }
    }

    /** A dead letter for raw value bytes (possibly null). */
    public static DeadLetter of(
            byte[] value,
            String topic,
            int partition,
            long offset,
            Reason reason,
            String message,
            long timestamp) {
        String encoded = value == null ? null : Base64.getEncoder().encodeToString(value);
        return new DeadLetter(encoded, topic, partition, offset, reason, message, timestamp);
    }

    /** The original value bytes, or null when the record had none. */
    public byte[] originalBytes() {
        return originalValue == null ? null : Base64.getDecoder().decode(originalValue);
    }
}
