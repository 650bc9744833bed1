package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.job.TestModel;
import io.sentiflow.model.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
        ConsoleCapture.Result badWeight =
                ConsoleCapture.run(
                        "control",
                        "canary",
                        "textcnn-test@2",
                        "--weight",
                        "140",
                        "--bootstrap-servers",
                        "127.0.0.1:1");
        assertThat(badWeight.exitCode()).isEqualTo(1);
        assertThat(badWeight.err()).contains("weight must be between 0 and 100");
    }
}
