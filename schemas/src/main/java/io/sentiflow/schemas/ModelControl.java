package io.sentiflow.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A command on the model-control topic ({@code model-control.v1}) that changes which model versions
 * receive traffic in the running job.
 *
 * @param commandId unique id of the command, reported back in health events and dead letters
 * @param action what to do
 * @param modelVersion {@code name@version} for deploy, canary and shadow; absent otherwise
 * @param weight the canary's share of reviews in percent, 0–100; canary only
 * @param issuedBy who sent the command (a person or a pipeline)
 * @param issuedAt optional: when, epoch milliseconds
 * @param keyId optional: the id of the key that signed the command
 * @param signature optional: the Ed25519 signature, Base64, of {@link #signedContent()}
 * @param analysis canary only, optional: judge the canary automatically by these criteria
 * @param decides deploy and clear-canary only, optional: the commandId of the canary command whose
 *     analysis decided this; the command applies only while that canary is still routed
 * @param reason optional: why, in words (an automatic decision's evidence)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelControl(
        String commandId,
        Action action,
        String modelVersion,
        Integer weight,
        String issuedBy,
        Long issuedAt,
        String keyId,
        String signature,
        CanaryCriteria analysis,
        String decides,
        String reason) {

    /** A command without analysis, decision or reason. */
    public ModelControl(
            String commandId,
            Action action,
            String modelVersion,
            Integer weight,
            String issuedBy,
            Long issuedAt,
            String keyId,
            String signature) {
        this(
                commandId,
                action,
                modelVersion,
                weight,
                issuedBy,
                issuedAt,
                keyId,
                signature,
                null,
                null,
                null);
    }

    /** An unsigned command. */
    public ModelControl(
            String commandId,
            Action action,
            String modelVersion,
            Integer weight,
            String issuedBy,
            Long issuedAt) {
        this(commandId, action, modelVersion, weight, issuedBy, issuedAt, null, null);
    }

    /** The commands; {@link #wire()} is the JSON value. */
    public enum Action {
        /** The version becomes production (the one it replaces is kept for {@link #ROLLBACK}). */
        DEPLOY("deploy"),
        /** The version takes {@code weight} percent of reviews, chosen by a hash of the id. */
        CANARY("canary"),
        /** The version scores the same reviews as production; its scores are only compared. */
        SHADOW("shadow"),
        /** Production returns to the version before the last deploy. */
        ROLLBACK("rollback"),
        CLEAR_CANARY("clear-canary"),
        CLEAR_SHADOW("clear-shadow");

        private final String wire;

        Action(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        /** Whether the command names a model version. */
        public boolean namesVersion() {
            return this == DEPLOY || this == CANARY || this == SHADOW;
        }

        @JsonCreator
        public static Action fromWire(String value) {
            for (Action action : values()) {
                if (action.wire.equals(value)) {
                    return action;
                }
            }
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.action must be one of deploy, canary, shadow, rollback,"
                            + " clear-canary, clear-shadow; got '"
                            + value
                            + "'");
        }
    }

    /** The longest commandId, issuedBy and modelVersion accepted, in characters. */
    public static final int MAX_FIELD_LENGTH = 256;

    /** The longest reason accepted, in characters. */
    public static final int MAX_REASON_LENGTH = 2048;

    public ModelControl {
        Contracts.require(commandId, "commandId", "ModelControl");
        Contracts.require(action, "action", "ModelControl");
        Contracts.require(issuedBy, "issuedBy", "ModelControl");
        if (commandId.isBlank() || issuedBy.isBlank()) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.commandId and issuedBy must not be blank");
        }
        if (commandId.length() > MAX_FIELD_LENGTH
                || issuedBy.length() > MAX_FIELD_LENGTH
                || (modelVersion != null && modelVersion.length() > MAX_FIELD_LENGTH)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.commandId, issuedBy and modelVersion have at most "
                            + MAX_FIELD_LENGTH
                            + " characters");
        }
        if (action.namesVersion()) {
            if (modelVersion == null) {
                throw new ContractViolation(
                        DeadLetter.Reason.MISSING_FIELD,
                        "ModelControl.modelVersion is required for " + action.wire());
            }
            if (!modelVersion.matches("[^@/\\\\\\s]+@[^@/\\\\\\s]+")) {
                throw new ContractViolation(
                        DeadLetter.Reason.INVALID_FIELD,
                        "ModelControl.modelVersion must look like name@version, got '"
                                + modelVersion
                                + "'");
            }
        } else if (modelVersion != null) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.modelVersion is not allowed for " + action.wire());
        }
        if (action == Action.CANARY) {
            if (weight == null) {
                throw new ContractViolation(
                        DeadLetter.Reason.MISSING_FIELD,
                        "ModelControl.weight is required for canary");
            }
            if (weight < 0 || weight > 100) {
                throw new ContractViolation(
                        DeadLetter.Reason.INVALID_FIELD,
                        "ModelControl.weight must be between 0 and 100, got " + weight);
            }
        } else if (weight != null) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.weight is only allowed for canary");
        }
        if (issuedAt != null && issuedAt < 0) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD, "ModelControl.issuedAt must be >= 0");
        }
        if (keyId != null && !keyId.matches("[0-9a-f]{16}")) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD, "ModelControl.keyId must be 16 hex digits");
        }
        if (analysis != null && action != Action.CANARY) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.analysis is only allowed for canary");
        }
        if (analysis != null && weight != null && (weight < 1 || weight > 99)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.weight must be 1-99 with analysis: both sides need reviews");
        }
        if (decides != null
                && (action != Action.DEPLOY && action != Action.CLEAR_CANARY
                        || decides.isBlank()
                        || decides.length() > MAX_FIELD_LENGTH)) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.decides is a commandId, only for deploy and clear-canary");
        }
        if (reason != null && reason.length() > MAX_REASON_LENGTH) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.reason has at most " + MAX_REASON_LENGTH + " characters");
        }
        if (signature != null && signature.length() > MAX_SIGNATURE_LENGTH) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.signature has at most " + MAX_SIGNATURE_LENGTH + " characters");
        }
    }

    /** The longest signature accepted (an Ed25519 signature is 88 Base64 characters). */
    public static final int MAX_SIGNATURE_LENGTH = 256;

    /** What a command's signed content starts with: a signature of anything else never fits. */
    public static final String SIGNATURE_CONTEXT = "sentiflow/model-control/v1\n";

    /**
     * What a signature signs: {@value #SIGNATURE_CONTEXT} and then a JSON object of every field
     * present but {@code signature}, keys in sorted order, no whitespace, UTF-8 (strings escaped as
     * JSON requires, nothing else). Any change to a field changes these bytes.
     */
    public byte[] signedContent() {
        java.util.TreeMap<String, Object> fields = new java.util.TreeMap<>();
        fields.put("action", action.wire());
        if (analysis != null) {
            fields.put("analysis", analysis.canonical());
        }
        fields.put("commandId", commandId);
        if (decides != null) {
            fields.put("decides", decides);
        }
        fields.put("issuedBy", issuedBy);
        if (issuedAt != null) {
            fields.put("issuedAt", issuedAt);
        }
        if (keyId != null) {
            fields.put("keyId", keyId);
        }
        if (modelVersion != null) {
            fields.put("modelVersion", modelVersion);
        }
        if (reason != null) {
            fields.put("reason", reason);
        }
        if (weight != null) {
            fields.put("weight", weight);
        }
        byte[] json = Json.toBytes(fields);
        byte[] context = SIGNATURE_CONTEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] content = java.util.Arrays.copyOf(context, context.length + json.length);
        System.arraycopy(json, 0, content, context.length, json.length);
        return content;
    }

    /** This command signed: {@code keyId} set and {@code signer} applied to its signed content. */
    public ModelControl signed(String keyId, java.util.function.Function<byte[], String> signer) {
        ModelControl unsigned =
                new ModelControl(
                        commandId,
                        action,
                        modelVersion,
                        weight,
                        issuedBy,
                        issuedAt,
                        keyId,
                        null,
                        analysis,
                        decides,
                        reason);
        return new ModelControl(
                commandId,
                action,
                modelVersion,
                weight,
                issuedBy,
                issuedAt,
                keyId,
                signer.apply(unsigned.signedContent()),
                analysis,
                decides,
                reason);
    }

    /** The same command with {@code issuedBy} replaced, e.g. by the verified signer's name. */
    public ModelControl withIssuer(String issuer) {
        return new ModelControl(
                commandId,
                action,
                modelVersion,
                weight,
                issuer,
                issuedAt,
                keyId,
                signature,
                analysis,
                decides,
                reason);
    }
}
