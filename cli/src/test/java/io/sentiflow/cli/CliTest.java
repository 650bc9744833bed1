package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.job.EmbeddedKafkaExtension;
import io.sentiflow.job.TestModel;
import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.embedding.WordVectors;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
    @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

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
        KAFKA.createTopics(1, List.of("csv-reviews"));
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
                        KAFKA.bootstrapServers(),
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
                        KAFKA.bootstrapServers());
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
        KAFKA.createTopics(1, List.of("raw-lines"));
        Path jsonl = dir.resolve("mixed.jsonl");
        Files.writeString(jsonl, "{\"id\":\"a\",\"text\":\"fine\"}\n{broken\n");
        assertThat(
                        ConsoleCapture.run(
                                        "produce",
                                        jsonl.toString(),
                                        "--topic",
                                        "raw-lines",
                                        "--bootstrap-servers",
                                        KAFKA.bootstrapServers())
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
                        KAFKA.bootstrapServers());
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
                        KAFKA.bootstrapServers());
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
        assertThat(result.out())
                .contains("training on 640 reviews, validating on 160")
                .contains("model written to");
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

    @Test
    void dataCommandsShouldInspectCleanSplitAndConvertRealData(@TempDir Path dir)
            throws IOException {
        Path mr = TestModel.imdb().directory().getParent().resolve("mr");
        ConsoleCapture.Result inspected = ConsoleCapture.run("data", "inspect", mr.toString());
        assertThat(inspected.exitCode()).as(inspected.err()).isZero();
        assertThat(inspected.out())
                .contains("10662 rows, 5331 positive, 5331 negative")
                .contains("tokens per row");

        Path converted = dir.resolve("mr.jsonl");
        assertThat(ConsoleCapture.run("data", "convert", mr.toString(), converted.toString()).out())
                .contains("wrote 10662 rows");
        Path cleaned = dir.resolve("mr-clean.csv");
        ConsoleCapture.Result clean =
                ConsoleCapture.run(
                        "data", "clean", converted.toString(), "--output", cleaned.toString());
        assertThat(clean.out()).contains("read 10662 rows").contains("wrote");
        ConsoleCapture.Result split =
                ConsoleCapture.run(
                        "data",
                        "split",
                        cleaned.toString(),
                        "--output-dir",
                        dir.resolve("split").toString());
        assertThat(split.exitCode()).as(split.err()).isZero();
        assertThat(dir.resolve("split/train.jsonl")).isRegularFile();
        assertThat(dir.resolve("split/validation.jsonl")).isRegularFile();
        ConsoleCapture.Result folds =
                ConsoleCapture.run(
                        "data",
                        "split",
                        converted.toString(),
                        "--folds",
                        "3",
                        "--output-dir",
                        dir.resolve("folds").toString());
        assertThat(folds.out()).contains("wrote 3 folds");
        assertThat(dir.resolve("folds/fold-3/validation.jsonl")).isRegularFile();
    }

    @Test
    void evaluateShouldReportEveryMetricAndWriteItsFiles(@TempDir Path dir) throws IOException {
        Path sample = dir.resolve("sample.csv");
        io.sentiflow.model.data.DatasetWriter.write(
                TestModel.imdb().sample("test", 300, 4), sample);
        ConsoleCapture.Result result =
                ConsoleCapture.run(
                        "evaluate",
                        "--model",
                        TestModel.directory().toString(),
                        "--test",
                        sample.toString(),
                        "--output",
                        dir.resolve("eval").toString(),
                        "--device",
                        "cpu");
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out())
                .contains("accuracy")
                .contains("ROC-AUC")
                .contains("ECE")
                .contains("TP ")
                .contains("reviews/s");
        assertThat(dir.resolve("eval/evaluation.png")).isRegularFile();
        var json =
                io.sentiflow.schemas.Json.mapper()
                        .readTree(dir.resolve("eval/evaluation.json").toFile());
        assertThat(json.path("metrics").path("count").asInt()).isEqualTo(300);
        assertThat(json.path("metrics").path("rocAuc").asDouble()).isGreaterThan(0.6);
    }

    @Test
    void trainShouldCrossValidateWithFolds(@TempDir Path dir) throws IOException {
        Path mr = TestModel.imdb().directory().getParent().resolve("mr");
        ConsoleCapture.Result result = smallMrCrossValidation(mr, dir);
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out())
                .contains("fold 1/2: accuracy")
                .contains("fold 2/2: accuracy")
                .contains("2-fold cross-validation: mean accuracy");
    }

    @Test
    void embeddingsShouldLearnWordVectorsThatTrainStartsFrom(@TempDir Path dir) throws IOException {
        Path mr = TestModel.imdb().directory().getParent().resolve("mr");
        Path vectors = dir.resolve("mr-vectors.bin");
        ConsoleCapture.Result learned =
                ConsoleCapture.run(
                        "embeddings",
                        "--corpus",
                        mr.toString(),
                        "--output",
                        vectors.toString(),
                        "--dimension",
                        "16",
                        "--epochs",
                        "1");
        assertThat(learned.exitCode()).as(learned.err()).isZero();
        assertThat(learned.out())
                .contains("read 10662 texts from")
                .contains("pre-training word vectors: epoch 1/1")
                .contains("word vectors of width 16 written to");
        assertThat(WordVectors.load(vectors).dimension()).isEqualTo(16);

        ConsoleCapture.Result trained =
                smallMrCrossValidation(mr, dir.resolve("cv"), "--embeddings", vectors.toString());
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        assertThat(trained.out())
                .contains("read ")
                .contains("word vectors of width 16 from")
                .contains("2-fold cross-validation: mean accuracy");

        ConsoleCapture.Result mismatched =
                ConsoleCapture.run(
                        "train",
                        "--train",
                        mr.toString(),
                        "--embedding-size",
                        "32",
                        "--embeddings",
                        vectors.toString(),
                        "--output",
                        dir.resolve("wide").toString());
        assertThat(mismatched.exitCode()).isNotZero();
        assertThat(mismatched.err()).contains("16 wide but the embedding size is 32");

        Path broken = dir.resolve("broken.txt");
        Files.writeString(broken, "film 0.1 0.2\nmovie 0.3\n");
        ConsoleCapture.Result refused =
                ConsoleCapture.run(
                        "train",
                        "--train",
                        mr.toString(),
                        "--embeddings",
                        broken.toString(),
                        "--output",
                        dir.resolve("refused").toString());
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("broken.txt, line 2");

        ConsoleCapture.Result unused =
                ConsoleCapture.run(
                        "train",
                        "--train",
                        mr.toString(),
                        "--embeddings",
                        vectors.toString(),
                        "--unlabelled",
                        mr.toString(),
                        "--output",
                        dir.resolve("unused").toString());
        assertThat(unused.exitCode()).isNotZero();
        assertThat(unused.err()).contains("--unlabelled text is only used to pre-train");
    }

    /** Two folds of 1,000 MR sentences with a tiny network, one epoch each. */
    private static ConsoleCapture.Result smallMrCrossValidation(
            Path mr, Path output, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "train",
                                "--train",
                                mr.toString(),
                                "--folds",
                                "2",
                                "--limit",
                                "1000",
                                "--epochs",
                                "1",
                                "--embedding-size",
                                "16",
                                "--filters",
                                "16",
                                "--max-length",
                                "50",
                                "--output",
                                output.toString()));
        args.addAll(List.of(more));
        return ConsoleCapture.run(args.toArray(String[]::new));
    }
}
