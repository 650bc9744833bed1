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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelControl(
        String commandId,
        Action action,
        String modelVersion,
        Integer weight,
        String issuedBy,
        Long issuedAt) {

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
    }
}
