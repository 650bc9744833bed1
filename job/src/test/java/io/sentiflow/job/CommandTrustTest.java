package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sentiflow.model.trust.Keys;
import io.sentiflow.model.trust.TrustedKeys;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which commands the job believes: every field is covered by the signature, and age counts. */
class CommandTrustTest {
    @TempDir Path keys;
    private PrivateKey ops;
    private String opsId;
    private CommandTrust trust;

    @BeforeEach
    void keys() throws Exception {
        Keys.generate(keys, "ops");
        ops = Keys.readPrivate(keys.resolve("ops.key")).key();
        opsId = Keys.id(Keys.readPublic(keys.resolve("ops.pub")).key());
        trust =
                new CommandTrust(
                        TrustedKeys.read(keys.resolve("ops.pub").toString()), 60_000, null);
    }

    private ModelControl signed(ModelControl command) {
        return command.signed(
                opsId, content -> Base64.getEncoder().encodeToString(Keys.sign(ops, content)));
    }

    private static final ModelControl CANARY =
            new ModelControl("c-1", ModelControl.Action.CANARY, "textcnn@2", 10, "ci", 1_000L);

    private static DeadLetter.Reason refusal(CommandTrust trust, ModelControl command, long at) {
        try {
            trust.check(command, at);
            return null;
        } catch (CommandTrust.Refused refused) {
            return refused.reason();
        }
    }

    @Test
    void aSignedCommandShouldApplyWithItsSignersNameAsIssuer() throws Exception {
        assertThat(trust.check(signed(CANARY), 2_000).issuedBy()).isEqualTo("ops");
        assertThat(refusal(trust, CANARY, 2_000)).isEqualTo(DeadLetter.Reason.COMMAND_UNSIGNED);
    }

    @Test
    void theJobsOwnKeyShouldSignOnlyCanaryDecisions() throws Exception {
        // The job's key is trusted (its decisions must apply) and lives on every TaskManager.
        CommandTrust withJobKey =
                new CommandTrust(
                        TrustedKeys.read(keys.resolve("ops.pub").toString()), 60_000, opsId);
        ModelControl decision =
                new ModelControl(
                        "d-1",
                        ModelControl.Action.CLEAR_CANARY,
                        null,
                        null,
                        "canary-analysis",
                        1_000L,
                        null,
                        null,
                        null,
                        "c-1",
                        "rollback: accuracy");
        assertThat(withJobKey.check(signed(decision), 2_000).decides()).isEqualTo("c-1");
        assertThat(refusal(withJobKey, signed(CANARY), 2_000))
                .isEqualTo(DeadLetter.Reason.COMMAND_BAD_SIGNATURE);
        // Another key's commands are not limited.
        assertThat(refusal(trust, signed(CANARY), 2_000)).isNull();
    }

    @Test
    void anAutomaticCanaryShouldBeRefusedWhereTheJobCannotSignItsDecision() throws Exception {
        ModelControl auto =
                new ModelControl(
                        "c-2",
                        ModelControl.Action.CANARY,
                        "textcnn@2",
                        10,
                        "ci",
                        1_000L,
                        null,
                        null,
                        io.sentiflow.schemas.CanaryCriteria.defaults(),
                        null,
                        null);
        assertThat(refusal(trust, signed(auto), 2_000))
                .isEqualTo(DeadLetter.Reason.COMMAND_NOT_APPLICABLE);
        assertThat(refusal(CommandTrust.OPEN, auto, 2_000)).isNull();
        CommandTrust withJobKey =
                new CommandTrust(
                        TrustedKeys.read(keys.resolve("ops.pub").toString()),
                        60_000,
                        "0123456789abcdef");
        assertThat(refusal(withJobKey, signed(auto), 2_000)).isNull();
    }

    @Test
    void theJobShouldNotStartWithADecisionKeyItsCommandsWouldNotBelieve() throws Exception {
        Keys.generate(keys.resolve("job"), "job");
        Keys.generate(keys.resolve("other"), "other");
        String opsOnly = keys.resolve("ops.pub").toString();
        String jobKey = keys.resolve("job").resolve("job.key").toString();
        assertThatThrownBy(() -> CommandTrust.of(config(opsOnly, jobKey)))
                .hasMessageContaining("not among control.trusted-keys");
        String both = opsOnly + "," + keys.resolve("job").resolve("job.pub");
        assertThat(CommandTrust.of(config(both, jobKey)).requiresSignatures()).isTrue();
        // A .pub beside the key that is not its own.
        java.nio.file.Files.copy(
                keys.resolve("other").resolve("other.pub"),
                keys.resolve("job").resolve("job.pub"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> CommandTrust.of(config(both, jobKey)))
                .hasMessageContaining("is not its public key");
    }

    private static JobConfig config(String trusted, String signKey) throws java.io.IOException {
        return JobConfig.fromArgs(
                "--control.trusted-keys",
                trusted,
                "--control.max-age-ms",
                "60000",
                "--control.sign-key",
                signKey);
    }

    @Test
    void changingAnyFieldAfterSigningShouldBreakTheSignature() {
        ModelControl good = signed(CANARY);
        // Each copy changes one field of the signed command and keeps its signature.
        List<java.util.function.Consumer<ObjectNode>> tampering =
                List.of(
                        c -> c.put("commandId", "c-2"),
                        c -> c.put("modelVersion", "textcnn@3"),
                        c -> c.put("weight", 100),
                        c -> c.put("issuedBy", "someone"),
                        c -> c.put("issuedAt", 1_500L),
                        c -> c.put("action", "shadow").remove("weight"),
                        c -> c.put("keyId", "0000000000000000"));
        for (var tamper : tampering) {
            ObjectNode copy = Json.mapper().valueToTree(good);
            tamper.accept(copy);
            ModelControl tampered = Json.modelControl(Json.toBytes(copy));
            assertThat(tampered.signature()).isEqualTo(good.signature());
            assertThat(refusal(trust, tampered, 2_000))
                    .as("%s", copy)
                    .isEqualTo(DeadLetter.Reason.COMMAND_BAD_SIGNATURE);
        }
    }

    @Test
    void aCommandOutsideItsAgeShouldBeRefused() {
        ModelControl good = signed(CANARY);
        assertThat(refusal(trust, good, 1_000 + 60_000)).isNull();
        assertThat(refusal(trust, good, 1_000 + 60_001))
                .isEqualTo(DeadLetter.Reason.COMMAND_EXPIRED);
        assertThat(refusal(trust, good, 1_000 - 60_001))
                .isEqualTo(DeadLetter.Reason.COMMAND_EXPIRED);
        ModelControl undated =
                signed(
                        new ModelControl(
                                "c-3", ModelControl.Action.ROLLBACK, null, null, "ci", null));
        assertThat(refusal(trust, undated, 2_000)).isEqualTo(DeadLetter.Reason.COMMAND_EXPIRED);
        // Without keys or an age limit: every well-formed command, issuer as typed.
        assertThat(refusal(CommandTrust.OPEN, undated, 10_000_000)).isNull();
    }
}
