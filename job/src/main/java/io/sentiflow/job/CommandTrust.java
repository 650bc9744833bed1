package io.sentiflow.job;

import io.sentiflow.model.trust.Keys;
import io.sentiflow.model.trust.TrustedKeys;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.ModelControl;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * Which control commands the job believes. With trusted keys ({@code control.trusted-keys}) only a
 * command signed by one of them applies, and the key's name — not the typed {@code issuedBy} — is
 * recorded as its issuer. With a maximum age ({@code control.max-age-ms}) a command must carry
 * {@code issuedAt} and reach the topic within that time of it: its age is the record's timestamp
 * (the broker's append time on a topic made by {@code sentiflow topics create}, else the
 * producer's, clamped as for reviews) minus {@code issuedAt}, so every subtask, and a replay,
 * judges it alike. Serializable: the keys are read where the graph is built and travel with the
 * job.
 */
final class CommandTrust implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The issuer recorded for a command whose signature did not check out. */
    static final String UNVERIFIED = "(unverified)";

    /** Commands trusted as before signing existed: any writer, any age. */
    static final CommandTrust OPEN = new CommandTrust(null, 0, null);

    private final TrustedKeys keys;
    private final long maxAgeMs;
    private final String decisionKeyId;
    private final boolean decisions;

    /**
     * @param keys the keys a command must be signed by; null: unsigned commands apply
     * @param maxAgeMs the most a command may lag its {@code issuedAt}; 0: no limit
     * @param decisionKeyId the id of the key the job signs its canary decisions with, or null
     */
    CommandTrust(TrustedKeys keys, long maxAgeMs, String decisionKeyId) {
        this(keys, maxAgeMs, decisionKeyId, true);
    }

    /** As above; {@code decisions} false: the job makes no canary decisions (refuses --auto). */
    CommandTrust(TrustedKeys keys, long maxAgeMs, String decisionKeyId, boolean decisions) {
        this.keys = keys;
        this.maxAgeMs = maxAgeMs;
        this.decisionKeyId = decisionKeyId;
        this.decisions = decisions;
    }

    static CommandTrust of(JobConfig config) {
        TrustedKeys keys;
        try {
            keys = TrustedKeys.read(config.controlTrustedKeys());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    JobConfig.CONTROL_TRUSTED_KEYS + ": " + e.getMessage(), e);
        }
        String decisionKey = null;
        if (config.controlSignKey() != null) {
            decisionKey = decisionKeyId(java.nio.file.Path.of(config.controlSignKey()));
            // A decision the job cannot get believed would leave its canary waiting for ever.
            if (keys != null && !keys.names().containsKey(decisionKey)) {
                throw new IllegalArgumentException(
                        JobConfig.CONTROL_SIGN_KEY
                                + ": its public key is not among "
                                + JobConfig.CONTROL_TRUSTED_KEYS
                                + ", so the job's canary decisions would be refused; add its .pub"
                                + " there");
            }
        }
        return new CommandTrust(
                keys, config.controlMaxAgeMs(), decisionKey, config.controlDecisions());
    }

    /**
     * The id of the job's decision key, after checking that the {@code .pub} beside it is its own
     * (a probe signed with the one verifies with the other).
     */
    static String decisionKeyId(java.nio.file.Path privateKey) {
        try {
            var key = Keys.readPrivate(privateKey).key();
            var publicKey = Keys.publicOf(privateKey);
            byte[] probe = "sentiflow/decision-key-check".getBytes(StandardCharsets.UTF_8);
            if (!Keys.verify(publicKey, probe, Keys.sign(key, probe))) {
                throw new IllegalArgumentException(
                        JobConfig.CONTROL_SIGN_KEY
                                + ": the .pub beside "
                                + privateKey
                                + " is not its public key");
            }
            return Keys.id(publicKey);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    JobConfig.CONTROL_SIGN_KEY + ": " + e.getMessage(), e);
        }
    }

    /** The id of the key the job signs its decisions with, or null. */
    String decisionKeyId() {
        return decisionKeyId;
    }

    boolean requiresSignatures() {
        return keys != null;
    }

    /** Why a command is not believed. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final DeadLetter.Reason reason;

        Refused(DeadLetter.Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        DeadLetter.Reason reason() {
            return reason;
        }
    }

    /**
     * The command to apply: {@code control} itself, or with its issuer replaced by the name of the
     * trusted key that signed it.
     *
     * @param recordTimestamp the control record's timestamp, epoch milliseconds
     * @throws Refused when it is unsigned, wrongly signed or too old
     */
    ModelControl check(ModelControl control, long recordTimestamp) throws Refused {
        ModelControl believed = control;
        if (keys != null) {
            try {
                String signer =
                        keys.verify(
                                control.signedContent(),
                                control.keyId(),
                                control.signature(),
                                "command " + Sanitized.id(control.commandId()));
                believed = control.withIssuer(signer);
                if (control.keyId().equals(decisionKeyId) && control.decides() == null) {
                    // The job's key is on every TaskManager: it may only carry out an analysis.
                    throw new Refused(
                            DeadLetter.Reason.COMMAND_BAD_SIGNATURE,
                            "the job's own key (control.sign-key) signs only its canary decisions");
                }
            } catch (TrustedKeys.UntrustedException e) {
                throw new Refused(
                        e.problem() == TrustedKeys.Problem.UNSIGNED
                                ? DeadLetter.Reason.COMMAND_UNSIGNED
                                : DeadLetter.Reason.COMMAND_BAD_SIGNATURE,
                        e.getMessage());
            }
        }
        if (control.analysis() != null && !decisions) {
            throw new Refused(
                    DeadLetter.Reason.COMMAND_NOT_APPLICABLE,
                    "this job makes no canary decisions (control.decisions is false)");
        }
        if (control.analysis() != null && keys != null && decisionKeyId == null) {
            throw new Refused(
                    DeadLetter.Reason.COMMAND_NOT_APPLICABLE,
                    "an automatic canary needs control.sign-key: the job must sign its decisions"
                            + " where commands need signatures");
        }
        if (maxAgeMs > 0) {
            if (control.issuedAt() == null) {
                throw new Refused(
                        DeadLetter.Reason.COMMAND_EXPIRED,
                        "command has no issuedAt, and control.max-age-ms asks for one");
            }
            long age = recordTimestamp - control.issuedAt();
            if (age > maxAgeMs || age < -maxAgeMs) {
                throw new Refused(
                        DeadLetter.Reason.COMMAND_EXPIRED,
                        "command was issued "
                                + age
                                + " ms before it reached the topic; control.max-age-ms is "
                                + maxAgeMs);
            }
        }
        return believed;
    }
}
