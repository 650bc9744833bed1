package io.sentiflow.model.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.sentiflow.model.ModelFiles;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.SharedData;
import io.sentiflow.model.TextCnnTrainer;
import io.sentiflow.model.TrainingOptions;
import io.sentiflow.model.trust.Keys;
import io.sentiflow.model.trust.ModelSignature;
import io.sentiflow.model.trust.TrustedKeys;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry with two real (tiny) models trained on IMDB reviews. */
class ModelRegistryTest {
    @TempDir static Path models;
    @TempDir Path root;

    @BeforeAll
    static void trainTwoVersions() throws IOException {
        for (String version : List.of("1", "2")) {
            TrainingOptions options =
                    TrainingOptions.defaults()
                            .withIdentity("tiny", version)
                            .withEmbeddingSize(8)
                            .withSchedule(1, 100, 2_000);
            new TextCnnTrainer(
                            options, Device.cpu(), new PrintStream(PrintStream.nullOutputStream()))
                    .train(
                            SharedData.imdb().sample("train", 600, version.hashCode()),
                            models.resolve(version));
        }
    }

    private ModelRegistry registry() {
        return new ModelRegistry(root);
    }

    private static RegistryException.Problem problemOf(Throwable e) {
        return ((RegistryException) e).problem();
    }

    @Test
    void publishedVersionsShouldBeListedShownAndLoadable() throws Exception {
        ModelRegistry registry = registry();
        registry.publish(models.resolve("2"));
        registry.publish(models.resolve("1"));
        assertThat(registry.list())
                .extracting(ModelRegistry.Entry::modelVersion)
                .containsExactly("tiny@1", "tiny@2");
        ModelRegistry.Entry entry = registry.show("tiny@2");
        assertThat(entry.retired()).isFalse();
        assertThat(entry.manifest().files()).containsKey(ModelFiles.WEIGHTS_FILE);
        try (SentimentScorer scorer =
                SentimentScorer.load(registry.resolveForTraffic("tiny@2"), Device.cpu())) {
            assertThat(scorer.modelVersion()).isEqualTo("tiny@2");
            assertThat(scorer.scoreTexts(List.of("a wonderful film"))[0]).isBetween(0f, 1f);
        }
    }

    @Test
    void publishingAVersionThatExistsShouldBeRefused() throws IOException {
        ModelRegistry registry = registry();
        registry.publish(models.resolve("1"));
        assertThatThrownBy(() -> registry.publish(models.resolve("1")))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("tiny@1 is already in the registry")
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.ALREADY_PUBLISHED));
        assertThat(registry.list()).hasSize(1);
        assertThat(root.resolve(".staging")).isEmptyDirectory();
    }

    @Test
    void aTamperedVersionShouldBeRefusedForTraffic() throws IOException {
        ModelRegistry registry = registry();
        Path directory = registry.publish(models.resolve("1")).directory();
        Files.writeString(ModelFiles.vocabulary(directory), "extra\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> registry.resolveForTraffic("tiny@1"))
                .hasMessageContaining("checksum mismatch for " + ModelFiles.VOCABULARY_FILE)
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.INVALID_MODEL));
        assertThatThrownBy(() -> registry.verify("tiny@1"))
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.INVALID_MODEL));
        assertThatThrownBy(() -> registry.export("tiny@1", root.resolve("out.zip")))
                .isInstanceOf(RegistryException.class);
    }

    @Test
    void aRetiredVersionShouldKeepItsFilesButReceiveNoTraffic() throws IOException {
        ModelRegistry registry = registry();
        registry.publish(models.resolve("1"));
        ModelRegistry.Entry retired = registry.retire("tiny@1", "alice", "superseded");
        assertThat(retired.retired()).isTrue();
        assertThat(retired.retirement().retiredBy()).isEqualTo("alice");
        assertThat(registry.verify("tiny@1").version()).isEqualTo("1");
        assertThatThrownBy(() -> registry.resolveForTraffic("tiny@1"))
                .hasMessageContaining("retired")
                .satisfies(
                        e -> assertThat(problemOf(e)).isEqualTo(RegistryException.Problem.RETIRED));
        assertThatThrownBy(() -> registry.retire("tiny@1", "bob", "again"))
                .hasMessageContaining("already retired");
    }

    @Test
    void unknownOrUnsafeVersionsShouldBeRefusedClearly() {
        ModelRegistry registry = registry();
        assertThatThrownBy(() -> registry.resolveForTraffic("tiny@9"))
                .hasMessageContaining("has no version tiny@9")
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.UNKNOWN_VERSION));
        assertThatThrownBy(() -> registry.show("../etc@1")).isInstanceOf(RegistryException.class);
        assertThatThrownBy(() -> registry.show("tiny")).hasMessageContaining("name@version");
    }

    @Test
    void exportThenImportIntoAnotherRootShouldPreserveEveryChecksum(@TempDir Path other)
            throws IOException {
        ModelRegistry source = registry();
        ModelRegistry.Entry published = source.publish(models.resolve("2"));
        Path archive = source.export("tiny@2", other.resolve("archives/tiny-2.zip"));

        ModelRegistry target = new ModelRegistry(other.resolve("registry"));
        ModelRegistry.Entry imported = target.importArchive(archive);
        assertThat(imported.modelVersion()).isEqualTo("tiny@2");
        Map<String, String> before = published.manifest().files();
        assertThat(imported.manifest().files()).isEqualTo(before);
        assertThat(ModelManifest.checksums(imported.directory())).isEqualTo(before);
        assertThat(ModelManifest.sha256(imported.directory().resolve(ModelManifest.FILE)))
                .isEqualTo(ModelManifest.sha256(published.directory().resolve(ModelManifest.FILE)));
        assertThat(target.resolveForTraffic("tiny@2")).isEqualTo(imported.directory());
        assertThatThrownBy(() -> target.importArchive(archive))
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.ALREADY_PUBLISHED));
    }

    @Test
    void importShouldRefuseTamperedOrMaliciousArchives(@TempDir Path other) throws IOException {
        ModelRegistry target = new ModelRegistry(other.resolve("registry"));
        Path source = models.resolve("1");

        Path tampered = other.resolve("tampered.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(tampered))) {
            for (String file : Files.list(source).map(p -> p.getFileName().toString()).toList()) {
                zip.putNextEntry(new ZipEntry(file));
                byte[] bytes = Files.readAllBytes(source.resolve(file));
                if (file.equals(ModelFiles.WEIGHTS_FILE)) {
                    bytes[bytes.length / 2] ^= 0x55;
                }
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        assertThatThrownBy(() -> target.importArchive(tampered))
                .hasMessageContaining("checksum mismatch for " + ModelFiles.WEIGHTS_FILE)
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.INVALID_MODEL));

        Path escaping = other.resolve("escaping.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(escaping))) {
            zip.putNextEntry(new ZipEntry("../outside.txt"));
            zip.write(1);
            zip.closeEntry();
        }
        assertThatThrownBy(() -> target.importArchive(escaping))
                .hasMessageContaining("unexpected entry '../outside.txt'");
        assertThat(other.resolve("outside.txt")).doesNotExist();

        Path notZip = other.resolve("not.zip");
        Files.writeString(notZip, "hello");
        assertThatThrownBy(() -> target.importArchive(notZip)).isInstanceOf(IOException.class);
        assertThat(target.list()).isEmpty();
    }

    @Test
    void importShouldStopUnpackingAZipBombAtItsLimits(@TempDir Path other) throws IOException {
        ModelRegistry target = new ModelRegistry(other.resolve("registry"));
        ModelRegistry.ImportLimits limits = new ModelRegistry.ImportLimits(8, 1 << 20, 3 << 20);

        // One entry that claims nothing in its header and inflates to 64 MiB of zeros.
        Path bomb = other.resolve("bomb.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
            zip.putNextEntry(new ZipEntry(ModelFiles.WEIGHTS_FILE));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        assertThat(Files.size(bomb)).isLessThan(1 << 20);
        assertThatThrownBy(() -> target.importArchive(bomb, limits))
                .hasMessageContaining(
                        ModelFiles.WEIGHTS_FILE + " unpacks to more than 1048576 bytes")
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.INVALID_MODEL));

        // Many entries, each within the limit, that together exceed the total.
        Path wide = other.resolve("wide.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(wide))) {
            for (int i = 0; i < 4; i++) {
                zip.putNextEntry(new ZipEntry("part" + i));
                zip.write(new byte[1 << 20]);
                zip.closeEntry();
            }
        }
        assertThatThrownBy(() -> target.importArchive(wide, limits))
                .hasMessageContaining("unpacks to more than 3145728 bytes");

        Path many = other.resolve("many.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(many))) {
            for (int i = 0; i < 9; i++) {
                zip.putNextEntry(new ZipEntry("f" + i));
                zip.write(i);
                zip.closeEntry();
            }
        }
        assertThatThrownBy(() -> target.importArchive(many, limits))
                .hasMessageContaining("more than 8 entries");
        assertThat(target.list()).isEmpty();
        assertThat(other.resolve("registry/.staging")).isEmptyDirectory();
    }

    @Test
    void anArchiveWithAnUnlistedFileShouldBeRefused(@TempDir Path other) throws IOException {
        ModelRegistry source = registry();
        source.publish(models.resolve("1"));
        Path archive = source.export("tiny@1", other.resolve("tiny-1.zip"));
        Path withExtra = other.resolve("extra.zip");
        try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(archive));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(withExtra))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("textcnn-0001.params"));
            out.write(new byte[] {1, 2, 3});
            out.closeEntry();
        }
        assertThatThrownBy(
                        () -> new ModelRegistry(other.resolve("registry")).importArchive(withExtra))
                .hasMessageContaining("textcnn-0001.params, which its manifest does not list");
    }

    @Test
    void withTrustedKeysOnlyVersionsSignedByOneShouldBeServed(
            @TempDir Path keys, @TempDir Path other) throws IOException {
        Keys.generate(keys, "alice");
        Keys.generate(keys.resolve("untrusted"), "mallory");
        TrustedKeys trusted = TrustedKeys.read(keys.resolve("alice.pub").toString());
        ModelRegistry registry = registry();
        Path one = registry.publish(models.resolve("1"), keys.resolve("alice.key")).directory();
        Path two = registry.publish(models.resolve("2")).directory();

        assertThat(ModelRegistry.checked(one, "tiny@1", trusted).signedBy()).isEqualTo("alice");
        // Without trusted keys: today's behaviour, a signature is neither needed nor checked.
        assertThat(ModelRegistry.checked(two, "tiny@2", null).signedBy()).isNull();
        assertThatThrownBy(() -> ModelRegistry.checked(two, "tiny@2", trusted))
                .satisfies(
                        e ->
                                assertThat(problemOf(e))
                                        .isEqualTo(RegistryException.Problem.UNTRUSTED))
                .hasMessageContaining("not signed");

        registry.sign("tiny@2", keys.resolve("untrusted/mallory.key"));
        assertThatThrownBy(() -> ModelRegistry.checked(two, "tiny@2", trusted))
                .hasMessageContaining("not trusted");
        registry.sign("tiny@2", keys.resolve("alice.key"));
        assertThat(ModelRegistry.checked(two, "tiny@2", trusted).signedBy()).isEqualTo("alice");

        // Alice's signature of version 2 moved onto version 1 does not verify there.
        byte[] oneSignature = Files.readAllBytes(one.resolve(ModelSignature.FILE));
        Files.copy(
                two.resolve(ModelSignature.FILE),
                one.resolve(ModelSignature.FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> ModelRegistry.checked(one, "tiny@1", trusted))
                .hasMessageContaining("does not verify");
        Files.write(one.resolve(ModelSignature.FILE), oneSignature);

        // A manifest edited after signing (every file still matching it) is refused.
        Path manifest = one.resolve(ModelManifest.FILE);
        byte[] original = Files.readAllBytes(manifest);
        Files.writeString(
                manifest,
                new String(original, java.nio.charset.StandardCharsets.UTF_8)
                        .replaceFirst("\"createdAt\" : \"", "\"createdAt\" : \"1"));
        assertThat(ModelRegistry.checked(one, "tiny@1", null)).isNotNull();
        assertThatThrownBy(() -> ModelRegistry.checked(one, "tiny@1", trusted))
                .hasMessageContaining("does not verify");
        Files.write(manifest, original);

        // A retired version is not signed again.
        registry.retire("tiny@2", "test", "superseded");
        assertThatThrownBy(() -> registry.sign("tiny@2", keys.resolve("alice.key")))
                .satisfies(
                        e -> assertThat(problemOf(e)).isEqualTo(RegistryException.Problem.RETIRED));

        // Export and import carry the signature.
        Path archive = registry.export("tiny@1", other.resolve("tiny-1.zip"));
        ModelRegistry target = new ModelRegistry(other.resolve("registry"));
        ModelRegistry.Entry imported = target.importArchive(archive);
        assertThat(ModelRegistry.checked(imported.directory(), "tiny@1", trusted).signedBy())
                .isEqualTo("alice");
    }
}
