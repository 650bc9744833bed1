package io.sentiflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ContractsTest {
    private final SchemaValidator validator = new SchemaValidator();

    @ParameterizedTest
    @EnumSource(Schemas.class)
    void everyExampleShouldValidateAgainstItsSchema(Schemas contract) throws IOException {
        assertThat(contract.exampleResources()).isNotEmpty();
        for (String resource : contract.exampleResources()) {
            try (InputStream in = Schemas.open(resource)) {
                JsonNode document = Json.mapper().readTree(in);
                assertThat(validator.validate(contract, document)).as(resource).isEmpty();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Schemas.class)
    void everyExampleShouldParseIntoItsRecordAndBack(Schemas contract) throws IOException {
        for (String resource : contract.exampleResources()) {
            byte[] bytes;
            try (InputStream in = Schemas.open(resource)) {
                bytes = in.readAllBytes();
            }
            Object parsed =
                    switch (contract) {
                        case REVIEW_V1 -> Json.review(bytes);
                        case SENTIMENT_V1 -> Json.sentiment(bytes);
                        case DEAD_LETTER_V1 -> Json.deadLetter(bytes);
                        case MODEL_HEALTH_V1 -> Json.modelHealth(bytes);
                        case REVIEW_LABEL_V1 -> Json.reviewLabel(bytes);
                        case REVIEW_SAMPLE_V1 -> Json.reviewSample(bytes);
                        case MODEL_CONTROL_V1 -> Json.modelControl(bytes);
                        case MODEL_ROUTING_V1 -> Json.modelRouting(bytes);
                    };
            byte[] written = Json.toBytes(parsed);
            assertThat(validator.validate(contract, written)).as(resource).isEmpty();
            assertThat(Json.mapper().readTree(written)).isEqualTo(Json.mapper().readTree(bytes));
        }
    }

    @Test
    void recordsWrittenByTheCodecShouldValidate() {
        Sentiment sentiment = Sentiment.of("r-9", 0.25, "textcnn@1", 1_000L, 12L);
        assertThat(sentiment.label()).isEqualTo("negative");
        assertThat(validator.validate(Schemas.SENTIMENT_V1, Json.toBytes(sentiment))).isEmpty();
        DeadLetter letter =
                DeadLetter.of(null, "reviews", 0, 3, DeadLetter.Reason.NULL_VALUE, "null", 5L);
        assertThat(validator.validate(Schemas.DEAD_LETTER_V1, Json.toBytes(letter))).isEmpty();
        assertThat(validator.validate(Schemas.REVIEW_V1, Json.toBytes(Review.of("a", "b"))))
                .isEmpty();
    }

    @Test
    void aReviewMissingItsTextShouldFailWithAClearMessage() {
        byte[] missing = "{\"id\": \"r-1\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(validator.validate(Schemas.REVIEW_V1, missing))
                .anyMatch(e -> e.contains("text"));
        assertThatThrownBy(() -> Json.review(missing))
                .isInstanceOf(ContractViolation.class)
                .hasMessage("Review.text is required but missing")
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(DeadLetter.Reason.MISSING_FIELD);
    }

    @Test
    void aSentimentMissingItsScoreShouldFailWithAClearMessage() {
        byte[] missing =
                ("{\"reviewId\":\"r\",\"label\":\"positive\",\"modelVersion\":\"m@1\","
                                + "\"scoredAt\":1,\"latencyMs\":2}")
                        .getBytes(StandardCharsets.UTF_8);
        assertThat(validator.validate(Schemas.SENTIMENT_V1, missing))
                .anyMatch(e -> e.contains("score"));
        assertThatThrownBy(() -> Json.sentiment(missing))
                .isInstanceOf(ContractViolation.class)
                .hasMessageContaining("score")
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(DeadLetter.Reason.MISSING_FIELD);
    }

    @Test
    void aDeadLetterMissingItsReasonShouldFail() {
        byte[] missing =
                ("{\"originalValue\":null,\"sourceTopic\":\"t\",\"sourcePartition\":0,"
                                + "\"sourceOffset\":1,\"message\":\"m\",\"timestamp\":1}")
                        .getBytes(StandardCharsets.UTF_8);
        assertThat(validator.validate(Schemas.DEAD_LETTER_V1, missing)).isNotEmpty();
        assertThatThrownBy(() -> Json.deadLetter(missing)).hasMessageContaining("reason");
    }

    @Test
    void reviewParsingShouldNameTheBrokenRule() {
        assertReason("{\"id\": 1, \"text\": \"x\"}", DeadLetter.Reason.WRONG_TYPE);
        assertReason("{\"id\": \"a\", \"text\": \"   \"}", DeadLetter.Reason.EMPTY_TEXT);
        assertReason(
                "{\"id\": \"a\", \"text\": \"x\", \"label\": \"meh\"}",
                DeadLetter.Reason.INVALID_FIELD);
        assertReason(
                "{\"id\": \"a\", \"text\": \"x\", \"producedAt\": \"soon\"}",
                DeadLetter.Reason.WRONG_TYPE);
        assertReason("[1, 2]", DeadLetter.Reason.NOT_AN_OBJECT);
        assertReason("{\"id\": \"a\", \"text\": ", DeadLetter.Reason.INVALID_JSON);
        assertReason(
                "{\"id\": \"a\", \"id\": \"b\", \"text\": \"x\"}", DeadLetter.Reason.INVALID_JSON);
        assertReason("{\"id\": \"a\", \"text\": \"x\"} trailing", DeadLetter.Reason.INVALID_JSON);
        assertReason("", DeadLetter.Reason.INVALID_JSON);
        assertThatThrownBy(() -> Json.review(null))
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(DeadLetter.Reason.NULL_VALUE);
        assertThatThrownBy(() -> Json.review(new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}))
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(DeadLetter.Reason.INVALID_UTF8);
    }

    /**
     * A record the parser cannot read gets a message that names the error and where it is, never
     * what it read: an unquoted text is the review's own words.
     */
    @Test
    void anUnreadableReviewsMessageShouldNotQuoteItsText() {
        for (String json :
                new String[] {
                    "{\"id\": \"a\", \"text\": Terrible acting, dull plot}",
                    "{\"id\": \"a\", \"text\": \"x\", Terrible: 1}",
                    "{\"id\": \"a\", \"text\": 'Terrible acting'}",
                    "{\"id\": \"a\", \"text\": \"Terrible\\q acting\"}",
                    "{\"id\": \"a\", \"text\": \"Terrible",
                    "Terrible acting"
                }) {
            assertThatThrownBy(() -> Json.review(json.getBytes(StandardCharsets.UTF_8)))
                    .as(json)
                    .isInstanceOfSatisfying(
                            ContractViolation.class,
                            e -> {
                                assertThat(e.reason()).isEqualTo(DeadLetter.Reason.INVALID_JSON);
                                assertThat(e.getMessage())
                                        .doesNotContainIgnoringCase("terrible")
                                        .contains(" at line 1, column ")
                                        .matches("[A-Z][^'\"`]+");
                            });
        }
        assertThat(Json.unquoted("'Terrible' was not expected")).isEqualTo("unreadable JSON");
        assertThat(Json.unquoted(null)).isEqualTo("unreadable JSON");
    }

    /** Every criterion of an automatic canary analysis, the defaults. */
    private static final String ANALYSIS =
            "{\"minReviews\":500,\"windows\":3,\"maxFailedWindows\":3,\"maxErrorRateIncrease\":0.01,"
                    + "\"maxP99Ratio\":2.0,\"maxPositiveRateDifference\":0.15,\"maxPsi\":0.25,"
                    + "\"minCompared\":200,\"minLabelled\":100,\"alpha\":0.01,\"maxAccuracyDrop\":0.05}";

    @Test
    void anAutomaticCanaryShouldCarryItsCriteriaAndTheirSignature() {
        ModelControl parsed =
                Json.modelControl(
                        ("{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\","
                                        + "\"weight\":5,\"issuedBy\":\"a\",\"analysis\":"
                                        + ANALYSIS
                                        + "}")
                                .getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.analysis()).isEqualTo(CanaryCriteria.defaults());
        assertThat(Json.modelControl(Json.toBytes(parsed))).isEqualTo(parsed);
        assertThat(validator.validate(Schemas.MODEL_CONTROL_V1, Json.toBytes(parsed))).isEmpty();
        // The criteria are part of what a signature covers: loosening one changes the bytes.
        ModelControl looser =
                new ModelControl(
                        "c",
                        ModelControl.Action.CANARY,
                        "m@2",
                        5,
                        "a",
                        null,
                        null,
                        null,
                        new CanaryCriteria(1, 1, 3, 0.01, 2.0, 0.15, 0.25, 200, 100, 0.01, 0.05),
                        null,
                        null);
        assertThat(looser.signedContent()).isNotEqualTo(parsed.signedContent());
        ModelControl decision =
                new ModelControl(
                        "d",
                        ModelControl.Action.DEPLOY,
                        "m@2",
                        null,
                        "canary-analysis",
                        1L,
                        null,
                        null,
                        null,
                        "c",
                        "3 windows passed");
        assertThat(new String(decision.signedContent(), StandardCharsets.UTF_8))
                .isEqualTo(
                        "sentiflow/model-control/v1\n"
                                + "{\"action\":\"deploy\",\"commandId\":\"d\",\"decides\":\"c\","
                                + "\"issuedAt\":1,\"issuedBy\":\"canary-analysis\",\"modelVersion\":\"m@2\","
                                + "\"reason\":\"3 windows passed\"}");
        assertThat(new String(parsed.signedContent(), StandardCharsets.UTF_8))
                .startsWith(
                        "sentiflow/model-control/v1\n"
                                + "{\"action\":\"canary\",\"analysis\":{\"alpha\":0.01,"
                                + "\"maxAccuracyDrop\":0.05,\"maxErrorRateIncrease\":0.01,"
                                + "\"maxFailedWindows\":3,\"maxP99Ratio\":2.0,");
    }

    @Test
    void controlCommandsShouldBeCheckedByTheCodecAndTheSchemaAlike() {
        String[][] bad = {
            {"null", "NOT_AN_OBJECT"},
            {
                "{\"action\":\"deploy\",\"modelVersion\":\"m@2\",\"issuedBy\":\"a\"}",
                "MISSING_FIELD"
            },
            {"{\"commandId\":\"c\",\"action\":\"promote\",\"issuedBy\":\"a\"}", "INVALID_FIELD"},
            {"{\"commandId\":\"c\",\"action\":\"deploy\",\"issuedBy\":\"a\"}", "MISSING_FIELD"},
            {
                "{\"commandId\":\"c\",\"action\":\"deploy\",\"modelVersion\":\"m2\",\"issuedBy\":\"a\"}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"issuedBy\":\"a\"}",
                "MISSING_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":101,\"issuedBy\":\"a\"}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":\"30\",\"issuedBy\":\"a\"}",
                "WRONG_TYPE"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"rollback\",\"modelVersion\":\"m@2\",\"issuedBy\":\"a\"}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"deploy\",\"modelVersion\":\"m@2\",\"weight\":5,\"issuedBy\":\"a\"}",
                "INVALID_FIELD"
            },
            {"{\"commandId\":\"c\",\"action\":\"rollback\",\"issuedBy\":\"  \"}", "INVALID_FIELD"},
            {"{\"commandId\":\"c\",\"action\":\"rollback\"}", "MISSING_FIELD"},
            {
                "{\"commandId\":\"c\",\"action\":\"deploy\",\"modelVersion\":\"m@2\",\"issuedBy\":\"a\","
                        + "\"analysis\":"
                        + ANALYSIS
                        + "}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":5,"
                        + "\"issuedBy\":\"a\",\"analysis\":"
                        + ANALYSIS.replace("\"windows\":3,", "")
                        + "}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":5,"
                        + "\"issuedBy\":\"a\",\"analysis\":"
                        + ANALYSIS.replace("\"alpha\":0.01", "\"alpha\":0.7")
                        + "}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":5,"
                        + "\"issuedBy\":\"a\",\"analysis\":7}",
                "WRONG_TYPE"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":100,"
                        + "\"issuedBy\":\"a\",\"analysis\":"
                        + ANALYSIS
                        + "}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":5,"
                        + "\"issuedBy\":\"a\",\"analysis\":"
                        + ANALYSIS.replace("\"windows\":3", "\"windows\":2.5")
                        + "}",
                "WRONG_TYPE"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":5,"
                        + "\"issuedBy\":\"a\",\"analysis\":"
                        + ANALYSIS.replace("\"alpha\":0.01", "\"alpha\":\"0.01\"")
                        + "}",
                "WRONG_TYPE"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\",\"weight\":5,"
                        + "\"issuedBy\":\"a\",\"analysis\":"
                        + ANALYSIS.replace("{", "{\"promoteAlways\":1,")
                        + "}",
                "INVALID_FIELD"
            },
            {
                "{\"commandId\":\"c\",\"action\":\"rollback\",\"issuedBy\":\"a\",\"decides\":\"c0\"}",
                "INVALID_FIELD"
            },
        };
        for (String[] example : bad) {
            byte[] bytes = example[0].getBytes(StandardCharsets.UTF_8);
            assertThat(validator.validate(Schemas.MODEL_CONTROL_V1, bytes))
                    .as(example[0])
                    .isNotEmpty();
            assertThatThrownBy(() -> Json.modelControl(bytes))
                    .as(example[0])
                    .isInstanceOf(ContractViolation.class)
                    .extracting(e -> ((ContractViolation) e).reason().name())
                    .isEqualTo(example[1]);
        }
        ModelControl canary =
                Json.modelControl(
                        ("{\"commandId\":\"c\",\"action\":\"canary\",\"modelVersion\":\"m@2\","
                                        + "\"weight\":0,\"issuedBy\":\"a\"}")
                                .getBytes(StandardCharsets.UTF_8));
        assertThat(canary.action()).isEqualTo(ModelControl.Action.CANARY);
        assertThat(canary.weight()).isZero();
    }

    @Test
    void olderOrRicherReviewsShouldStillParse() {
        Review review =
                Json.review(
                        "{\"id\":\"a\",\"text\":\"fine\",\"label\":null,\"extra\":{\"k\":1}}"
                                .getBytes(StandardCharsets.UTF_8));
        assertThat(review).isEqualTo(Review.of("a", "fine"));
    }

    @Test
    void deadLettersShouldCarryTheOriginalBytes() {
        byte[] original = {0, 1, 2, (byte) 0xFF};
        DeadLetter letter =
                DeadLetter.of(original, "reviews", 1, 2, DeadLetter.Reason.INVALID_UTF8, "bad", 3L);
        DeadLetter back = Json.deadLetter(Json.toBytes(letter));
        assertThat(back.originalBytes()).containsExactly(original);
        assertThat(back).isEqualTo(letter);
    }

    @Test
    void aDeadLetterOfAHugeValueShouldKeepItsFirstBytesWithTheWholeValuesSizeAndDigest()
            throws Exception {
        byte[] huge = new byte[10 * 1024 * 1024];
        new java.util.Random(7).nextBytes(huge);
        DeadLetter letter =
                DeadLetter.of(
                        huge,
                        "reviews",
                        0,
                        9,
                        DeadLetter.Reason.TEXT_TOO_LONG,
                        "x".repeat(50_000),
                        4L,
                        64 * 1024);
        byte[] written = Json.toBytes(letter);
        assertThat(written.length).isLessThan(64 * 1024 * 4 / 3 + 2048);
        assertThat(validator.validate(Schemas.DEAD_LETTER_V1, written)).isEmpty();
        DeadLetter back = Json.deadLetter(written);
        assertThat(back.truncated()).isTrue();
        assertThat(back.originalSize()).isEqualTo(huge.length);
        assertThat(back.originalBytes()).containsExactly(java.util.Arrays.copyOf(huge, 64 * 1024));
        assertThat(back.originalSha256())
                .isEqualTo(
                        java.util.HexFormat.of()
                                .formatHex(
                                        java.security.MessageDigest.getInstance("SHA-256")
                                                .digest(huge)));
        assertThat(back.message()).hasSize(DeadLetter.MAX_MESSAGE_CHARS);
    }

    @Test
    void aDeadLetterOfASmallValueShouldKeepItWholeAndSaySo() {
        byte[] value = "{\"id\": 1}".getBytes(StandardCharsets.UTF_8);
        DeadLetter letter =
                DeadLetter.of(value, "reviews", 0, 1, DeadLetter.Reason.WRONG_TYPE, "id", 2L, 64);
        assertThat(letter.truncated()).isFalse();
        assertThat(letter.originalSize()).isEqualTo(value.length);
        assertThat(letter.originalBytes()).containsExactly(value);
        DeadLetter atTheLimit =
                DeadLetter.of(
                        value,
                        "reviews",
                        0,
                        1,
                        DeadLetter.Reason.WRONG_TYPE,
                        "id",
                        2L,
                        value.length);
        assertThat(atTheLimit.truncated()).isFalse();
        DeadLetter oneOver =
                DeadLetter.of(
                        value,
                        "reviews",
                        0,
                        1,
                        DeadLetter.Reason.WRONG_TYPE,
                        "id",
                        2L,
                        value.length - 1);
        assertThat(oneOver.truncated()).isTrue();
        assertThat(oneOver.originalBytes()).hasSize(value.length - 1);
    }

    @Test
    void idsWithALoneSurrogateShouldBeRefusedNotChanged() {
        assertReason(
                "{\"id\": \"r-\\ud800\", \"text\": \"fine\"}", DeadLetter.Reason.INVALID_FIELD);
        assertReason(
                "{\"id\": \"r-\\udc00x\", \"text\": \"fine\"}", DeadLetter.Reason.INVALID_FIELD);
        // A proper pair (an emoji) is a valid id and survives UTF-8 unchanged.
        Review emoji =
                Json.review(
                        "{\"id\": \"r-\\ud83d\\ude00\", \"text\": \"fine\"}"
                                .getBytes(StandardCharsets.UTF_8));
        assertThat(new String(emoji.id().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                .isEqualTo(emoji.id());
        assertThatThrownBy(
                        () ->
                                Json.reviewLabel(
                                        "{\"reviewId\": \"\\udbff\", \"label\": \"positive\"}"
                                                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ContractViolation.class)
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(DeadLetter.Reason.INVALID_FIELD);
        assertThatThrownBy(
                        () ->
                                Json.modelControl(
                                        ("{\"commandId\": \"c\\ud800\", \"action\": \"rollback\","
                                                        + " \"issuedBy\": \"ops\"}")
                                                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ContractViolation.class)
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(DeadLetter.Reason.INVALID_FIELD);
    }

    @Test
    void controlCommandsAndLabelsShouldHaveBoundedIds() {
        String longId = "c".repeat(ModelControl.MAX_FIELD_LENGTH + 1);
        assertThatThrownBy(
                        () ->
                                Json.modelControl(
                                        ("{\"commandId\": \""
                                                        + longId
                                                        + "\", \"action\": \"rollback\","
                                                        + " \"issuedBy\": \"ops\"}")
                                                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ContractViolation.class)
                .hasMessageContaining("at most");
        assertThatThrownBy(() -> ReviewLabel.of("r".repeat(Review.MAX_ID_LENGTH + 1), "positive"))
                .isInstanceOf(ContractViolation.class);
    }

    private static void assertReason(String json, DeadLetter.Reason reason) {
        assertThatThrownBy(() -> Json.review(json.getBytes(StandardCharsets.UTF_8)))
                .as(json)
                .isInstanceOf(ContractViolation.class)
                .extracting(e -> ((ContractViolation) e).reason())
                .isEqualTo(reason);
    }

    @Test
    void theSignedFormOfACommandShouldBeExactlyTheseBytes() {
        // Signers in any language must produce these bytes; a change here breaks every signature.
        ModelControl command =
                new ModelControl(
                        "c-1",
                        ModelControl.Action.CANARY,
                        "textcnn@2",
                        10,
                        "Zoë \"ops\"",
                        1796083200000L,
                        "0123456789abcdef",
                        "ignored");
        assertThat(new String(command.signedContent(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(
                        "sentiflow/model-control/v1\n"
                                + "{\"action\":\"canary\",\"commandId\":\"c-1\",\"issuedAt\":1796083200000,"
                                + "\"issuedBy\":\"Zoë \\\"ops\\\"\",\"keyId\":\"0123456789abcdef\","
                                + "\"modelVersion\":\"textcnn@2\",\"weight\":10}");
    }
}
