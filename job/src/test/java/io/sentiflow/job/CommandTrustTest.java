package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.model.trust.Keys;
import io.sentiflow.model.trust.TrustedKeys;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.ModelControl;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
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
        trust = new CommandTrust(TrustedKeys.read(keys.resolve("ops.pub").toString()), 60_000);
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
    void changingAnyFieldAfterSigningShouldBreakTheSignature() {
        ModelControl good = signed(CANARY);
        List<UnaryOperator<ModelControl>> tampering =
                List.of(
                        c ->
                                copy(
                                        c,
                                        "c-2",
                                        c.action(),
                                        c.modelVersion(),
                                        c.weight(),
                                        c.issuedBy(),
                                        c.issuedAt(),
                                        c.keyId()),
                        c ->
                                copy(
                                        c,
                                        c.commandId(),
                                        ModelControl.Action.CANARY,
                                        "textcnn@3",
                                        c.weight(),
                                        c.issuedBy(),
                                        c.issuedAt(),
                                        c.keyId()),
                        c ->
                                copy(
                                        c,
                                        c.commandId(),
                                        c.action(),
                                        c.modelVersion(),
                                        100,
                                        c.issuedBy(),
                                        c.issuedAt(),
                                        c.keyId()),
                        c ->
                                copy(
                                        c,
                                        c.commandId(),
                                        c.action(),
                                        c.modelVersion(),
                                        c.weight(),
                                        "someone",
                                        c.issuedAt(),
                                        c.keyId()),
                        c ->
                                copy(
                                        c,
                                        c.commandId(),
                                        c.action(),
                                        c.modelVersion(),
                                        c.weight(),
                                        c.issuedBy(),
                                        1_500L,
                                        c.keyId()),
                        c ->
                                copy(
                                        c,
                                        c.commandId(),
                                        ModelControl.Action.SHADOW,
                                        c.modelVersion(),
                                        null,
                                        c.issuedBy(),
                                        c.issuedAt(),
                                        c.keyId()),
                        c ->
                                copy(
                                        c,
                                        c.commandId(),
                                        c.action(),
                                        c.modelVersion(),
                                        c.weight(),
                                        c.issuedBy(),
                                        c.issuedAt(),
                                        "0000000000000000"));
        for (UnaryOperator<ModelControl> tamper : tampering) {
            assertThat(refusal(trust, tamper.apply(good), 2_000))
                    .isEqualTo(DeadLetter.Reason.COMMAND_BAD_SIGNATURE);
        }
    }

    private static ModelControl copy(
            ModelControl signed,
            String id,
            ModelControl.Action action,
            String version,
            Integer weight,
            String issuedBy,
            Long issuedAt,
            String keyId) {
        return new ModelControl(
                id, action, version, weight, issuedBy, issuedAt, keyId, signed.signature());
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
