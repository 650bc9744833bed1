package io.sentiflow.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * An input that could not become a sentiment ({@code dead-letter.v1}): the original bytes, where
 * they came from, and why they were rejected.
 *
 * @param originalValue the record value, base64; {@code null} for a null Kafka value
 * @param sourceTopic topic the record was read from
 * @param sourcePartition its partition
 * @param sourceOffset its offset
 * @param reason machine-readable reason code
 * @param message human-readable detail; never contains review text; at most {@value
 *     #MAX_MESSAGE_CHARS} characters
 * @param timestamp when it was dead-lettered, epoch milliseconds
 * @param originalSize optional: the record value's size in bytes, whether or not it was cut
 * @param originalSha256 optional: SHA-256 of the whole record value, hex
 * @param truncated optional: true when {@code originalValue} holds only the first bytes of the
 *     value (a dead letter must fit in one Kafka record, whatever the producer sent)
 */
public record DeadLetter(
        String originalValue,
        String sourceTopic,
        int sourcePartition,
        long sourceOffset,
        Reason reason,
        String message,
        long timestamp,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long originalSize,
        @JsonInclude(JsonInclude.Include.NON_NULL) String originalSha256,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean truncated) {

    /** The most value bytes a dead letter keeps unless told otherwise. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

    /** Longer messages are cut: they may quote parts of the input. */
    public static final int MAX_MESSAGE_CHARS = 1000;

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
        COMMAND_NOT_APPLICABLE,
        /** A label or control record larger than its topic's limit in the job's configuration. */
        RECORD_TOO_LARGE,
        /**
         * Only signed control commands are trusted ({@code control.trusted-keys}); this has none.
         */
        COMMAND_UNSIGNED,
        /** A control command signed by a key that is not trusted, or whose signature is wrong. */
        COMMAND_BAD_SIGNATURE,
        /** A control command issued longer ago than {@code control.max-age-ms}, or undated. */
        COMMAND_EXPIRED,
        /** A control command whose {@code commandId} was already applied. */
        COMMAND_DUPLICATE
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

    /** A dead letter for raw value bytes (possibly null), keeping up to 64 KiB of them. */
    public static DeadLetter of(
            byte[] value,
            String topic,
            int partition,
            long offset,
            Reason reason,
            String message,
            long timestamp) {
        return of(
                value,
                topic,
                partition,
                offset,
                reason,
                message,
                timestamp,
                DEFAULT_MAX_VALUE_BYTES);
    }

    /**
     * A dead letter for raw value bytes (possibly null): the value is kept whole up to {@code
     * maxValueBytes}, else cut to its first {@code maxValueBytes} and marked {@code truncated}; its
     * size and SHA-256 are always those of the whole value. The message is cut to {@value
     * #MAX_MESSAGE_CHARS} characters.
     */
    public static DeadLetter of(
            byte[] value,
            String topic,
            int partition,
            long offset,
            Reason reason,
            String message,
            long timestamp,
            int maxValueBytes) {
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes must be >= 0");
        }
        String shortMessage =
                message != null && message.length() > MAX_MESSAGE_CHARS
                        ? message.substring(0, MAX_MESSAGE_CHARS - 1) + "…"
                        : message;
        if (value == null) {
            return new DeadLetter(
                    null,
                    topic,
                    partition,
                    offset,
                    reason,
                    shortMessage,
                    timestamp,
                    null,
                    null,
                    null);
        }
        boolean cut = value.length > maxValueBytes;
        byte[] kept = cut ? Arrays.copyOf(value, maxValueBytes) : value;
        return new DeadLetter(
                Base64.getEncoder().encodeToString(kept),
                topic,
                partition,
                offset,
                reason,
                shortMessage,
                timestamp,
                (long) value.length,
                sha256(value),
                cut);
    }

    private static String sha256(byte[] value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /** The original value bytes (their first part when {@code truncated}), or null. */
    public byte[] originalBytes() {
        return originalValue == null ? null : Base64.getDecoder().decode(originalValue);
    }
}
