package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.job.TestModel;
import io.sentiflow.model.ModelFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, with a small count, so it cannot rot. */
class DemoCommandTest {

    @Test
    void demoShouldTrainAModelScoreEveryReviewAndLeaveNoPortOpen(@TempDir Path workspace)
            throws InterruptedException {
        Path model = workspace.resolve("demo-model");
        ConsoleCapture.Result result =
                ConsoleCapture.run(
                        "demo",
                        "--count",
                        "150",
                        "--rate",
                        "100",
                        "--model",
                        model.toString(),
                        "--data",
                        TestModel.imdb().directory().toString(),
                        "--train-limit",
                        "1500",
                        "--train-epochs",
                        "1",
                        "--embedding-size",
                        "16");

        assertThat(result.exitCode()).as(result.out()).isZero();
        assertThat(result.out())
                .contains("no model in")
                .contains("epoch 1/1")
                .contains("Flink web UI: http://127.0.0.1:")
                .contains("Sentiflow console: http://localhost:")
                .contains("summary: sent 150, scored 150, dead letters 3")
                .contains("embedded Kafka stopped");
        assertThat(ModelFiles.weights(model))
                .as("the trained model is kept for later runs")
                .isRegularFile();
        assertThat(stillOpenAfterShutdown(port(result.out(), "Kafka: 127\\.0\\.0\\.1:(\\d+)")))
                .as("Kafka port")
                .isFalse();
        assertThat(
                        stillOpenAfterShutdown(
                                port(result.out(), "Flink web UI: http://127\\.0\\.0\\.1:(\\d+)")))
                .as("Flink web UI port")
                .isFalse();
        assertThat(
                        stillOpenAfterShutdown(
                                port(result.out(), "Sentiflow console: http://localhost:(\\d+)")))
                .as("console port")
                .isFalse();
    }

    @Test
    void demoShouldReuseAnExistingModelAndNameItsDataWhenMissing(@TempDir Path workspace) {
        ConsoleCapture.Result missing =
                ConsoleCapture.run(
                        "demo",
                        "--count",
                        "5",
                        "--model",
                        workspace.resolve("none").toString(),
                        "--data",
                        workspace.resolve("no-data-here").toString());
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err())
                .contains("no IMDB dataset")
                .contains("aclImdb_v1.tar.gz")
                .contains("--data");

        ConsoleCapture.Result reused =
                ConsoleCapture.run(
                        "demo",
                        "--count",
                        "40",
                        "--rate",
                        "200",
                        "--model",
                        TestModel.directory().toString(),
                        "--data",
                        TestModel.imdb().directory().toString());
        assertThat(reused.exitCode()).as(reused.out()).isZero();
        assertThat(reused.out()).doesNotContain("no model in").contains("scored 40,");
    }

    private static int port(String output, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(output);
        assertThat(matcher.find()).as("output names the address: " + regex).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    /**
     * Whether {@code port} still accepts connections 15 s after the demo returned. Flink's per-job
     * mini cluster closes its web UI asynchronously once the cancelled job ends (the job client's
     * result completes when the close starts, not when it is done): a port that closes within
     * seconds is not left open; one still open after 15 s is.
     */
    private static boolean stillOpenAfterShutdown(int port) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (portIsOpen(port)) {
            if (System.nanoTime() > deadline) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static boolean portIsOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void demoShouldUseAnExternalSecuredKafkaWithCredentialsFromAFile(@TempDir Path workspace)
            throws IOException {
        java.util.Map<String, String> users = new java.util.LinkedHashMap<>();
        users.put("admin", "admin-pw");
        users.put("demo", "demo-secret-77");
        try (io.sentiflow.local.EmbeddedKafka kafka =
                io.sentiflow.local.EmbeddedKafka.startWithSaslPlain(
                        users, java.util.List.of("demo"))) {
            Path clientConfig = workspace.resolve("client.properties");
            java.util.Properties credentials =
                    io.sentiflow.local.EmbeddedKafka.saslClient("demo", "demo-secret-77");
            try (var out = java.nio.file.Files.newBufferedWriter(clientConfig)) {
                credentials.store(out, null);
            }
            ConsoleCapture.Result result =
                    ConsoleCapture.run(
                            "demo",
                            "--count",
                            "30",
                            "--rate",
                            "100",
                            "--bootstrap-servers",
                            kafka.bootstrapServers(),
                            "--kafka-config",
                            clientConfig.toString(),
                            "--model",
                            TestModel.directory().toString(),
                            "--data",
                            TestModel.imdb().directory().toString());
            assertThat(result.exitCode()).as(result.out()).isZero();
            assertThat(result.out())
                    .contains("Kafka: " + kafka.bootstrapServers())
                    .contains("scored 30,");
            assertThat(result.out() + result.err()).doesNotContain("demo-secret-77");
        }
    }
}
