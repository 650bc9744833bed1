package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.job.TestModel;
import io.sentiflow.model.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sentiflow models} on real trained models. */
class ModelsCommandTest {
    @TempDir Path work;

    private ConsoleCapture.Result models(Path registry, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "models";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--registry";
        all[args.length + 2] = registry.toString();
        return ConsoleCapture.run(all);
    }

    @Test
    void theRegistryLifecycleShouldWorkFromTheCommandLine() throws Exception {
        Path registry = work.resolve("registry");
        Path other = work.resolve("other");
        ConsoleCapture.Result published =
                models(registry, "publish", TestModel.directory().toString());
        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out()).contains("published textcnn-test@1");
        assertThat(models(registry, "publish", TestModel.version2().toString()).exitCode())
                .isZero();

        ConsoleCapture.Result again = models(registry, "publish", TestModel.directory().toString());
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("textcnn-test@1 is already in the registry");

        ConsoleCapture.Result list = models(registry, "list");
        assertThat(list.out()).contains("textcnn-test@1", "textcnn-test@2", "active");

        Path archive = work.resolve("v2.zip");
        assertThat(models(registry, "export", "textcnn-test@2", archive.toString()).exitCode())
                .isZero();
        ConsoleCapture.Result imported = models(other, "import", archive.toString());
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(models(other, "verify").out()).contains("ok textcnn-test@2");

        ConsoleCapture.Result retired =
                models(
                        registry,
                        "retire",
                        "textcnn-test@1",
                        "--reason",
                        "superseded",
                        "--by",
                        "qa");
        assertThat(retired.exitCode()).isZero();
        assertThat(models(registry, "list").out()).containsPattern("textcnn-test@1\\s+retired");
        assertThat(models(registry, "show", "textcnn-test@1").out())
                .contains("\"status\" : \"retired\"", "superseded", "\"files\"");

        Files.writeString(
                ModelFiles.vocabulary(registry.resolve("textcnn-test").resolve("2")),
                "x\n",
                StandardOpenOption.APPEND);
        ConsoleCapture.Result verify = models(registry, "verify");
        assertThat(verify.exitCode()).isEqualTo(1);
        assertThat(verify.out()).contains("ok textcnn-test@1");
        assertThat(verify.err()).contains("FAILED textcnn-test@2", "checksum mismatch");

        ConsoleCapture.Result unknown = models(registry, "show", "textcnn-test@7");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("has no version textcnn-test@7");
    }

    @Test
    void modelsWithAnExtraWeightsFileALinkOrAChangedFileShouldBeRefusedByVerifyAndEvaluate()
            throws Exception {
        Path registry = work.resolve("tampered");
        for (Path model :
                new Path[] {TestModel.directory(), TestModel.version2(), TestModel.version3()}) {
            assertThat(models(registry, "publish", model.toString()).exitCode()).isZero();
        }
        Path v1 = registry.resolve("textcnn-test/1");
        Path v2 = registry.resolve("textcnn-test/2");
        Path v3 = registry.resolve("textcnn-test/3");
        Files.write(v1.resolve("textcnn-0001.params"), new byte[] {1, 2, 3});
        Path moved = work.resolve("v2-weights.params");
        Files.move(ModelFiles.weights(v2), moved);
        Files.createSymbolicLink(ModelFiles.weights(v2), moved);
        Files.writeString(ModelFiles.vocabulary(v3), "x\n", StandardOpenOption.APPEND);

        ConsoleCapture.Result verify = models(registry, "verify");
        assertThat(verify.exitCode()).isEqualTo(1);
        assertThat(verify.out()).doesNotContain("ok ");
        assertThat(verify.err())
                .contains(
                        "FAILED textcnn-test@1",
                        "textcnn-0001.params, which its manifest does not list",
                        "FAILED textcnn-test@2",
                        ModelFiles.WEIGHTS_FILE + " is a symbolic link",
                        "FAILED textcnn-test@3",
                        "checksum mismatch for " + ModelFiles.VOCABULARY_FILE);

        Path reviews = work.resolve("reviews.jsonl");
        Files.writeString(
                reviews,
                "{\"text\": \"a wonderful film\", \"label\": \"positive\"}\n"
                        + "{\"text\": \"a dull, awful film\", \"label\": \"negative\"}\n");
        for (String[] expected :
                new String[][] {
                    {v1.toString(), "does not list"},
                    {v2.toString(), "symbolic link"},
                    {v3.toString(), "checksum mismatch"}
                }) {
            ConsoleCapture.Result evaluate =
                    ConsoleCapture.run(
                            "evaluate",
                            "--model",
                            expected[0],
                            "--test",
                            reviews.toString(),
                            "--output",
                            work.resolve("eval").toString());
            assertThat(evaluate.exitCode()).as(evaluate.out()).isEqualTo(1);
            assertThat(evaluate.err()).contains(expected[1]);
        }
        ConsoleCapture.Result clean =
                ConsoleCapture.run(
                        "evaluate",
                        "--model",
                        TestModel.directory().toString(),
                        "--test",
                        reviews.toString(),
                        "--output",
                        work.resolve("eval").toString());
        assertThat(clean.exitCode()).as(clean.err()).isZero();
    }

    @Test
    void importShouldRefuseAZipBombWithoutUnpackingIt() throws Exception {
        Path bomb = work.resolve("bomb.zip");
        try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(bomb))) {
            zip.putNextEntry(new java.util.zip.ZipEntry(ModelFiles.WEIGHTS_FILE));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 32; i++) {
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        Path registry = work.resolve("bombed");
        ConsoleCapture.Result refused =
                models(registry, "import", bomb.toString(), "--max-entry-bytes", "1048576");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("unpacks to more than 1048576 bytes");
        assertThat(models(registry, "list").out()).doesNotContain("textcnn");
    }

    @Test
    void aControlCommandForAnUnusableVersionShouldBeRefusedBeforeSending() throws Exception {
        Path registry = work.resolve("registry");
        ConsoleCapture.Result result =
                ConsoleCapture.run(
                        "control",
                        "deploy",
                        "textcnn-test@4",
                        "--registry",
                        registry.toString(),
                        "--bootstrap-servers",
                        "127.0.0.1:1");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("has no version textcnn-test@4");
        // Canary options the job would refuse or never act on, each with what the CLI says.
        Map<String, List<String>> refused = new java.util.LinkedHashMap<>();
        refused.put("weight must be between 0 and 100", List.of("--weight", "140"));
        refused.put(
                "--min-reviews is a criterion of --auto",
                List.of("--weight", "10", "--min-reviews", "50"));
        refused.put("leaves one of them none", List.of("--weight", "100", "--auto"));
        refused.put("--alpha in (0, 0.5)", List.of("--weight", "10", "--auto", "--alpha", "0.9"));
        refused.forEach(
                (message, options) -> {
                    List<String> args = new java.util.ArrayList<>();
                    args.addAll(List.of("control", "canary", "textcnn-test@2"));
                    args.addAll(options);
                    args.addAll(List.of("--bootstrap-servers", "127.0.0.1:1"));
                    ConsoleCapture.Result canary = ConsoleCapture.run(args.toArray(String[]::new));
                    assertThat(canary.exitCode()).as("%s", options).isNotZero();
                    assertThat(canary.err()).as("%s", options).contains(message);
                });
    }
}
