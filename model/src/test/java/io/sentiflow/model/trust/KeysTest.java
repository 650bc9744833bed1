package io.sentiflow.model.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ed25519 key files and the trusted-key check every signature goes through. */
class KeysTest {
    @TempDir Path dir;

    private static final byte[] DATA = "deploy textcnn@2".getBytes(StandardCharsets.UTF_8);

    private String signature(String name, byte[] data) throws Exception {
        return Base64.getEncoder()
                .encodeToString(
                        Keys.sign(Keys.readPrivate(dir.resolve(name + ".key")).key(), data));
    }

    private String id(String name) throws Exception {
        return Keys.id(Keys.readPublic(dir.resolve(name + ".pub")).key());
    }

    @Test
    void generatedKeysShouldBePemFilesThePrivateOneOwnerOnlyAndNeverReplaced() throws Exception {
        Keys.generate(dir, "alice");
        assertThat(Files.readString(dir.resolve("alice.key"))).startsWith("-----BEGIN PRIVATE KEY");
        assertThat(Files.readString(dir.resolve("alice.pub"))).startsWith("-----BEGIN PUBLIC KEY");
        assertThat(
                        PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(dir.resolve("alice.key"))))
                .isEqualTo("rw-------");
        byte[] before = Files.readAllBytes(dir.resolve("alice.key"));
        assertThatThrownBy(() -> Keys.generate(dir, "alice"))
                .hasMessageContaining("already exists");
        assertThat(Files.readAllBytes(dir.resolve("alice.key"))).isEqualTo(before);
        assertThatThrownBy(() -> Keys.generate(dir, "../evil")).hasMessageContaining("key name");
        assertThat(id("alice")).matches("[0-9a-f]{16}");
    }

    @Test
    void onlyATrustedKeysCorrectSignatureShouldVerify() throws Exception {
        Keys.generate(dir, "alice");
        Keys.generate(dir.resolve("other"), "mallory");
        Files.move(dir.resolve("other/mallory.key"), dir.resolve("mallory.key"));
        TrustedKeys trusted = TrustedKeys.read(dir.toString()); // alice.pub only
        assertThat(trusted.names()).containsOnlyKeys(id("alice")).containsValue("alice");

        assertThat(trusted.verify(DATA, id("alice"), signature("alice", DATA), "it"))
                .isEqualTo("alice");

        byte[] changed = "deploy textcnn@3".getBytes(StandardCharsets.UTF_8);
        String malloryId = Keys.id(Keys.readPublic(dir.resolve("other/mallory.pub")).key());
        assertThatThrownBy(
                        () -> trusted.verify(changed, id("alice"), signature("alice", DATA), "it"))
                .isInstanceOfSatisfying(
                        TrustedKeys.UntrustedException.class,
                        e -> assertThat(e.problem()).isEqualTo(TrustedKeys.Problem.INVALID))
                .hasMessageContaining("does not verify");
        assertThatThrownBy(() -> trusted.verify(DATA, malloryId, signature("mallory", DATA), "it"))
                .hasMessageContaining("not trusted");
        // Mallory's signature claiming to be Alice's key.
        assertThatThrownBy(
                        () -> trusted.verify(DATA, id("alice"), signature("mallory", DATA), "it"))
                .hasMessageContaining("does not verify");
        assertThatThrownBy(() -> trusted.verify(DATA, id("alice"), "%%%not base64", "it"))
                .hasMessageContaining("malformed");
        assertThatThrownBy(() -> trusted.verify(DATA, null, null, "it"))
                .isInstanceOfSatisfying(
                        TrustedKeys.UntrustedException.class,
                        e -> assertThat(e.problem()).isEqualTo(TrustedKeys.Problem.UNSIGNED));
    }

    @Test
    void aKeyTwiceOrANameTwiceShouldBeRefusedAndAForeignPubShouldNotSign() throws Exception {
        Keys.generate(dir.resolve("a"), "release");
        Keys.generate(dir.resolve("b"), "release");
        assertThatThrownBy(() -> TrustedKeys.read(dir.resolve("a") + "," + dir.resolve("b")))
                .hasMessageContaining("twice");
        java.nio.file.Files.copy(dir.resolve("a/release.pub"), dir.resolve("a/copy.pub"));
        assertThatThrownBy(() -> TrustedKeys.read(dir.resolve("a").toString()))
                .hasMessageContaining("twice");
        // b's private key beside a's public key: signing says so instead of writing a bad id.
        java.nio.file.Files.copy(dir.resolve("b/release.key"), dir.resolve("a/other.key"));
        java.nio.file.Files.copy(dir.resolve("a/release.pub"), dir.resolve("a/other.pub"));
        assertThatThrownBy(() -> ModelSignature.sign(DATA, dir.resolve("a/other.key")))
                .hasMessageContaining("not its own");
    }

    @Test
    void trustedKeySettingsShouldFailClearly() throws Exception {
        assertThat(TrustedKeys.read(" ")).isNull();
        assertThatThrownBy(() -> TrustedKeys.read(dir.resolve("missing.pub").toString()))
                .hasMessageContaining("no key file");
        assertThatThrownBy(() -> TrustedKeys.read(dir.toString()))
                .hasMessageContaining("no public key");
        Files.writeString(dir.resolve("junk.pub"), "not a key");
        assertThatThrownBy(() -> TrustedKeys.read(dir.resolve("junk.pub").toString()))
                .hasMessageContaining("not a PEM");
        Files.delete(dir.resolve("junk.pub"));
        for (int i = 0; i <= TrustedKeys.MAX_KEYS; i++) {
            Keys.generate(dir, "k" + i);
        }
        assertThatThrownBy(() -> TrustedKeys.read(dir.toString()))
                .hasMessageContaining("more than " + TrustedKeys.MAX_KEYS);
    }
}
