package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.job.TestModel;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.model.ModelConfig;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws IOException {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void everyCommandShouldHaveHelp() {
        Map<String, CommandLine> commands = Sentiflow.commandLine().getSubcommands();
        assertThat(commands.keySet()).contains("demo", "train", "produce", "tail", "job");
        for (String name : commands.keySet()) {
            if (name.equals("help")) {
                continue;
            }
            ConsoleCapture.Result help = ConsoleCapture.run(name, "--help");
            assertThat(help.exitCode()).as(name).isZero();
            assertThat(help.out()).as(name).contains("Usage: sentiflow " + name);
        }
    }

    @Test
    void producedCsvReviewsShouldComeBackThroughTail(@TempDir Path dir) throws IOException {
        kafka.createTopics(1, List.of("csv-reviews"));
        Path csv = dir.resolve("few.csv");
        Files.writeString(
                csv, "review,sentiment\n\"Great, great film\",positive\nDull.,negative\n");
        ConsoleCapture.Result produced =
                ConsoleCapture.run(
                        "produce",
                        csv.toString(),
                        "--topic",
                        "csv-reviews",
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--id-prefix",
                        "few");
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.out()).contains("sent 2 messages to csv-reviews");

        ConsoleCapture.Result tailed =
                ConsoleCapture.run(
                        "tail",
                        "csv-reviews",
                        "--max",
                        "2",
                        "--timeout",
                        "20",
                        "--bootstrap-servers",
                        kafka.bootstrapServers());
        assertThat(tailed.exitCode()).isZero();
        List<String> lines = tailed.out().lines().toList();
        assertThat(lines).hasSize(2);
        Review first = Json.review(lines.get(0).split("\t", 2)[1].getBytes(StandardCharsets.UTF_8));
        assertThat(lines.get(0)).startsWith("few-0\t");
        assertThat(first.text()).isEqualTo("Great, great film");
        assertThat(first.label()).isEqualTo("positive");
    }

    @Test
    void jsonLinesShouldBeSentExactlyAsWritten(@TempDir Path dir) throws IOException {
        kafka.createTopics(1, List.of("raw-lines"));
        Path jsonl = dir.resolve("mixed.jsonl");
        Files.writeString(jsonl, "{\"id\":\"a\",\"text\":\"fine\"}\n{broken\n");
        assertThat(
                        ConsoleCapture.run(
                                        "produce",
                                        jsonl.toString(),
                                        "--topic",
                                        "raw-lines",
                                        "--bootstrap-servers",
                                        kafka.bootstrapServers())
                                .exitCode())
                .isZero();
        ConsoleCapture.Result tailed =
                ConsoleCapture.run(
                        "tail",
                        "raw-lines",
                        "--max",
                        "2",
                        "--timeout",
                        "20",
                        "--bootstrap-servers",
                        kafka.bootstrapServers());
        assertThat(tailed.out().lines().toList())
                .containsExactly("\t{\"id\":\"a\",\"text\":\"fine\"}", "\t{broken");
    }

    @Test
    void produceShouldNameAMissingFile(@TempDir Path dir) {
        ConsoleCapture.Result result =
                ConsoleCapture.run(
                        "produce",
                        dir.resolve("absent.csv").toString(),
                        "--bootstrap-servers",
                        kafka.bootstrapServers());
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.err()).contains("absent.csv");
    }

    @Test
    void trainShouldWriteAModelDirectoryFromRealReviews(@TempDir Path dir) throws IOException {
        Path output = dir.resolve("model");
        ConsoleCapture.Result result =
                ConsoleCapture.run(
                        "train",
                        "--data",
                        TestModel.imdb().directory().toString(),
                        "--limit",
                        "800",
                        "--epochs",
                        "1",
                        "--embedding-size",
                        "16",
                        "--max-length",
                        "100",
                        "--skip-test",
                        "--output",
                        output.toString(),
                        "--name",
                        "cli-model",
                        "--model-version",
                        "3");
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("read 800 reviews").contains("model written to");
        assertThat(ModelConfig.read(output).modelVersion()).isEqualTo("cli-model@3");
    }

    @Test
    void trainShouldNameTheFileAndLineOfABadRow(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "review,sentiment\n" + "fine,positive\n".repeat(20) + "odd,maybe\n");
        ConsoleCapture.Result result =
                ConsoleCapture.run(
                        "train",
                        "--train-file",
                        csv.toString(),
                        "--output",
                        dir.resolve("m").toString());
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.err()).contains("bad.csv").contains("line 22").contains("maybe");
    }

    @Test
    void jobShouldRefuseAnUnknownSetting() {
        ConsoleCapture.Result result = ConsoleCapture.run("job", "--batch.size", "10");
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.err()).contains("unknown configuration key 'batch.size'");
        assertThat(Arrays.asList(result.err().split("\n")))
                .noneMatch(line -> line.startsWith("\tat "));
    }
}
