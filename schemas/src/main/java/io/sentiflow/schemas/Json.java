package io.sentiflow.schemas;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Serde for the wire contracts: strict parsing with reason codes, compact UTF-8 JSON out.
 *
 * <p>Parsing never returns a half-valid record: it either returns one that satisfies its schema or
 * throws a {@link ContractViolation} naming the rule that was broken. It is thread-safe.
 */
public final class Json {
    private static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build();
    private static final ObjectReader STRICT_RECORDS =
            MAPPER.reader().with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    private Json() {}

    /** The shared mapper, for callers that need a tree (e.g. schema validation in tests). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Serializes a contract record as compact UTF-8 JSON. */
    public static byte[] toBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass(), e);
        }
    }

    /** Serializes a contract record as a JSON string. */
    public static String toString(Object value) {
        return new String(toBytes(value), StandardCharsets.UTF_8);
    }

    /**
     * Parses a review value from the reviews topic.
     *
     * @throws ContractViolation with the reason the bytes are not a valid {@code review.v1}
     */
    public static Review review(byte[] value) {
        if (value == null) {
            throw new ContractViolation(DeadLetter.Reason.NULL_VALUE, "record value is null");
        }
        JsonNode node = tree(decodeUtf8(value));
        if (!node.isObject()) {
            throw new ContractViolation(
                    DeadLetter.Reason.NOT_AN_OBJECT,
                    "expected a JSON object, got " + node.getNodeType().name().toLowerCase());
        }
        String id = wellFormed(requiredString(node, "Review", "id"), "Review", "id");
        String text = requiredString(node, "Review", "text");
        String label = optionalString(node, "Review", "label");
        String source = optionalString(node, "Review", "source");
        Long producedAt = null;
        JsonNode produced = node.get("producedAt");
        if (produced != null && !produced.isNull()) {
            if (!produced.isIntegralNumber() || !produced.canConvertToLong()) {
                throw wrongType(
                        "Review", "producedAt", "an integer (epoch milliseconds)", produced);
            }
            producedAt = produced.longValue();
        }
        return new Review(id, text, label, source, producedAt);
    }

    /** Parses a sentiment value; every field is required. */
    public static Sentiment sentiment(byte[] value) {
        return strict(value, Sentiment.class);
    }

    /** Parses a review-sample value; every field is required. */
    public static ReviewSample reviewSample(byte[] value) {
        return strict(value, ReviewSample.class);
    }

    /** Parses a model-routing value; canary, shadow and commandId may be absent. */
    public static ModelRouting modelRouting(byte[] value) {
        if (value == null) {
            throw new ContractViolation(DeadLetter.Reason.NULL_VALUE, "record value is null");
        }
        try {
            return MAPPER.readValue(value, ModelRouting.class);
        } catch (IOException e) {
            if (e.getCause() instanceof ContractViolation violation) {
                throw violation;
            }
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_JSON, "ModelRouting: " + e.getMessage());
        }
    }

    /** Parses a review-label value: {@code reviewId} and {@code label} required. */
    public static ReviewLabel reviewLabel(byte[] value) {
        if (value == null) {
            throw new ContractViolation(DeadLetter.Reason.NULL_VALUE, "record value is null");
        }
        JsonNode node = tree(decodeUtf8(value));
        if (!node.isObject()) {
            throw new ContractViolation(DeadLetter.Reason.NOT_AN_OBJECT, "expected a JSON object");
        }
        JsonNode reviewId = node.get("reviewId");
        JsonNode label = node.get("label");
        if (reviewId == null || reviewId.isNull() || label == null || label.isNull()) {
            throw new ContractViolation(
                    DeadLetter.Reason.MISSING_FIELD, "ReviewLabel.reviewId and label are required");
        }
        if (!reviewId.isTextual() || !label.isTextual()) {
            throw new ContractViolation(
                    DeadLetter.Reason.WRONG_TYPE, "ReviewLabel.reviewId and label must be strings");
        }
        JsonNode by = node.get("labelledBy");
        JsonNode at = node.get("labelledAt");
        return new ReviewLabel(
                wellFormed(reviewId.textValue(), "ReviewLabel", "reviewId"),
                label.textValue(),
                by != null && by.isTextual() ? by.textValue() : null,
                at != null && at.canConvertToLong() ? at.longValue() : null);
    }

    /**
     * Parses a command of the model-control topic ({@code model-control.v1}).
     *
     * @throws ContractViolation with the reason the bytes are not a valid command
     */
    public static ModelControl modelControl(byte[] value) {
        if (value == null) {
            throw new ContractViolation(DeadLetter.Reason.NULL_VALUE, "record value is null");
        }
        JsonNode node = tree(decodeUtf8(value));
        if (!node.isObject()) {
            throw new ContractViolation(DeadLetter.Reason.NOT_AN_OBJECT, "expected a JSON object");
        }
        String commandId =
                wellFormed(
                        requiredString(node, "ModelControl", "commandId"),
                        "ModelControl",
                        "commandId");
        String actionName = requiredString(node, "ModelControl", "action");
        String issuedBy =
                wellFormed(
                        requiredString(node, "ModelControl", "issuedBy"),
                        "ModelControl",
                        "issuedBy");
        ModelControl.Action action = ModelControl.Action.fromWire(actionName);
        String version =
                wellFormed(
                        optionalString(node, "ModelControl", "modelVersion"),
                        "ModelControl",
                        "modelVersion");
        Integer weight = null;
        JsonNode weightNode = node.get("weight");
        if (weightNode != null && !weightNode.isNull()) {
            if (!weightNode.isIntegralNumber() || !weightNode.canConvertToInt()) {
                throw wrongType("ModelControl", "weight", "an integer percentage", weightNode);
            }
            weight = weightNode.intValue();
        }
        Long issuedAt = null;
        JsonNode at = node.get("issuedAt");
        if (at != null && !at.isNull()) {
            if (!at.isIntegralNumber() || !at.canConvertToLong()) {
                throw wrongType("ModelControl", "issuedAt", "an integer (epoch milliseconds)", at);
            }
            issuedAt = at.longValue();
        }
        String keyId = optionalString(node, "ModelControl", "keyId");
        String signature = optionalString(node, "ModelControl", "signature");
        CanaryCriteria analysis = null;
        JsonNode analysisNode = node.get("analysis");
        if (analysisNode != null && !analysisNode.isNull()) {
            if (!analysisNode.isObject()) {
                throw wrongType("ModelControl", "analysis", "an object", analysisNode);
            }
            checkCriteria(analysisNode);
            try {
                analysis = STRICT_RECORDS.treeToValue(analysisNode, CanaryCriteria.class);
            } catch (JsonProcessingException e) {
                if (e.getCause() instanceof ContractViolation violation) {
                    throw violation;
                }
                throw new ContractViolation(
                        DeadLetter.Reason.INVALID_FIELD,
                        "ModelControl.analysis needs every criterion as a number: "
                                + e.getOriginalMessage());
            }
        }
        String decides =
                wellFormed(
                        optionalString(node, "ModelControl", "decides"), "ModelControl", "decides");
        String reason = optionalString(node, "ModelControl", "reason");
        return new ModelControl(
                commandId, action, version, weight, issuedBy, issuedAt, keyId, signature, analysis,
                decides, reason);
    }

    /** The criteria that are counts; the others are numbers. */
    private static final java.util.Set<String> COUNT_CRITERIA =
            java.util.Set.of(
                    "minReviews", "windows", "maxFailedWindows", "minCompared", "minLabelled");

    private static final java.util.Set<String> CRITERIA =
            java.util.Set.of(
                    "minReviews",
                    "windows",
                    "maxFailedWindows",
                    "maxErrorRateIncrease",
                    "maxP99Ratio",
                    "maxPositiveRateDifference",
                    "maxPsi",
                    "minCompared",
                    "minLabelled",
                    "alpha",
                    "maxAccuracyDrop");

    /**
     * An analysis holds exactly the known criteria, as JSON numbers (counts as integers): nothing a
     * signature does not cover is dropped silently, nothing is coerced from a string or a fraction.
     */
    private static void checkCriteria(JsonNode analysis) {
        var names = analysis.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            JsonNode value = analysis.get(name);
            if (!CRITERIA.contains(name)) {
                throw new ContractViolation(
                        DeadLetter.Reason.INVALID_FIELD,
                        "ModelControl.analysis has no criterion '"
                                + (name.length() > 64 ? name.substring(0, 64) + "…" : name)
                                + "'");
            }
            boolean count = COUNT_CRITERIA.contains(name);
            if (count
                    ? !(value.isIntegralNumber() && value.canConvertToLong())
                    : !value.isNumber()) {
                throw wrongType(
                        "ModelControl",
                        "analysis." + name,
                        count ? "an integer" : "a number",
                        value);
            }
        }
    }

    /** Parses a model-health value; the optional fields may be absent. */
    public static ModelHealth modelHealth(byte[] value) {
        try {
            return MAPPER.readValue(value, ModelHealth.class);
        } catch (IOException e) {
            if (e.getCause() instanceof ContractViolation violation) {
                throw violation;
            }
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_JSON, "ModelHealth: " + e.getMessage());
        }
    }

    private static final String[] DEAD_LETTER_REQUIRED = {
        "originalValue",
        "sourceTopic",
        "sourcePartition",
        "sourceOffset",
        "reason",
        "message",
        "timestamp"
    };

    /**
     * Parses a dead-letter value: the fields of the first version are required (originalValue may
     * be null), the later additive ones optional.
     */
    public static DeadLetter deadLetter(byte[] value) {
        if (value == null) {
            throw new ContractViolation(DeadLetter.Reason.NULL_VALUE, "record value is null");
        }
        JsonNode node = tree(decodeUtf8(value));
        if (!node.isObject()) {
            throw new ContractViolation(DeadLetter.Reason.NOT_AN_OBJECT, "expected a JSON object");
        }
        for (String field : DEAD_LETTER_REQUIRED) {
            if (!node.has(field)) {
                throw new ContractViolation(
                        DeadLetter.Reason.MISSING_FIELD,
                        "DeadLetter." + field + " is required but missing");
            }
        }
        try {
            return MAPPER.treeToValue(node, DeadLetter.class);
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof ContractViolation violation) {
                throw violation;
            }
            throw new ContractViolation(
                    DeadLetter.Reason.WRONG_TYPE, "DeadLetter: " + e.getOriginalMessage());
        }
    }

    private static <T> T strict(byte[] value, Class<T> type) {
        if (value == null) {
            throw new ContractViolation(DeadLetter.Reason.NULL_VALUE, "record value is null");
        }
        try {
            return STRICT_RECORDS.readValue(value, type);
        } catch (MismatchedInputException e) {
            if (e.getCause() instanceof ContractViolation violation) {
                throw violation;
            }
            String message = e.getOriginalMessage();
            DeadLetter.Reason reason =
                    message.startsWith("Missing creator property")
                                    || message.startsWith("Missing required creator property")
                                    || message.startsWith("Cannot map `null`")
                            ? DeadLetter.Reason.MISSING_FIELD
                            : DeadLetter.Reason.WRONG_TYPE;
            throw new ContractViolation(reason, type.getSimpleName() + ": " + message);
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof ContractViolation violation) {
                throw violation;
            }
            throw new ContractViolation(DeadLetter.Reason.INVALID_JSON, e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String decodeUtf8(byte[] value) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_UTF8, "record value is not valid UTF-8");
        }
    }

    private static JsonNode tree(String json) {
        try (JsonParser parser = MAPPER.createParser(json)) {
            JsonNode node = MAPPER.readTree(parser);
            if (node == null || node.isMissingNode()) {
                throw new ContractViolation(DeadLetter.Reason.INVALID_JSON, "empty document");
            }
            if (parser.nextToken() != null) {
                throw new ContractViolation(
                        DeadLetter.Reason.INVALID_JSON, "trailing content after the JSON value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_JSON,
                    unquoted(e.getOriginalMessage()) + locationOf(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The parser's message up to its first quoted part: Jackson quotes what it could not read
     * ("Unrecognized token 'Terrible': was expecting …", for a review whose text lost its quotes),
     * and a dead letter's message never holds a review's text. What is left names the error; the
     * location follows it.
     */
    static String unquoted(String message) {
        if (message == null) {
            return "unreadable JSON";
        }
        int cut = message.length();
        for (char quote : new char[] {'\'', '"', '`'}) {
            int at = message.indexOf(quote);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        String unquoted = message.substring(0, cut).replaceAll("[\\s:(\\[]+$", "");
        return unquoted.isEmpty() ? "unreadable JSON" : unquoted;
    }

    private static String locationOf(JsonProcessingException e) {
        return e.getLocation() == null
                ? ""
                : " at line "
                        + e.getLocation().getLineNr()
                        + ", column "
                        + e.getLocation().getColumnNr();
    }

    /**
     * The string itself, when it is well-formed UTF-16. A lone surrogate (JSON {@code "\\ud800"})
     * cannot be written back as UTF-8: it would silently become '?', so an id holding one is
     * refused rather than changed.
     */
    static String wellFormed(String value, String record, String field) {
        if (value == null) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new ContractViolation(
                        DeadLetter.Reason.INVALID_FIELD,
                        record
                                + "."
                                + field
                                + " holds a lone UTF-16 surrogate at index "
                                + i
                                + ": not representable in UTF-8");
            }
        }
        return value;
    }

    private static String requiredString(JsonNode node, String record, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new ContractViolation(
                    DeadLetter.Reason.MISSING_FIELD,
                    record + "." + field + " is required but missing");
        }
        if (!value.isTextual()) {
            throw wrongType(record, field, "a string", value);
        }
        return value.textValue();
    }

    private static String optionalString(JsonNode node, String record, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw wrongType(record, field, "a string", value);
        }
        return value.textValue();
    }

    private static ContractViolation wrongType(
            String record, String field, String expected, JsonNode value) {
        return new ContractViolation(
                DeadLetter.Reason.WRONG_TYPE,
                record
                        + "."
                        + field
                        + " must be "
                        + expected
                        + ", got "
                        + value.getNodeType().name().toLowerCase());
    }
}
