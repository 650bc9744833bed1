package io.sentiflow.cli;

import io.sentiflow.console.ConsoleServer;
import io.sentiflow.console.ConsoleSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sentiflow console}: the web console for a running job, until Ctrl-C. */
@Command(
        name = "console",
        mixinStandardHelpOptions = true,
        description = {
            "Serve the web console: classify a typed review through the running job, and watch",
            "live sentiments, throughput, latency, positive rate, drift and routing."
        })
public final class ConsoleCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--reviews-topic",
            defaultValue = "reviews",
            description = "(default: ${DEFAULT-VALUE})")
    String reviewsTopic;

    @Option(
            names = "--sentiments-topic",
            defaultValue = "sentiments",
            description = "(default: ${DEFAULT-VALUE})")
    String sentimentsTopic;

    @Option(
            names = "--health-topic",
            defaultValue = "model-health",
            description = "(default: ${DEFAULT-VALUE})")
    String healthTopic;

    @Option(
            names = "--answer-timeout-ms",
            defaultValue = "5000",
            description =
                    "How long a classification waits for the job (default: ${DEFAULT-VALUE}).")
    long answerTimeoutMs;

    @Option(
            names = "--bind",
            defaultValue = ConsoleSettings.LOOPBACK,
            description =
                    "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for"
                            + " every interface — then set a token).")
    String bind;

    @Option(
            names = "--allowed-host",
            paramLabel = "NAME",
            description =
                    "A host name the console is reached by besides localhost (e.g. behind a"
                            + " proxy); repeatable. Requests naming any other Host are refused.")
    java.util.List<String> allowedHosts = new java.util.ArrayList<>();

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description =
                    "Require `Authorization: Bearer <token>` on the API and the event stream, the"
                            + " token being this file's first line (at least 16 characters);"
                            + " or set $SENTIFLOW_CONSOLE_TOKEN.")
    Path tokenFile;

    /** The token: the file's first line, else the environment variable, else none. */
    String token() throws java.io.IOException {
        if (tokenFile != null) {
            if (Files.size(tokenFile) > 4096) {
                throw new picocli.CommandLine.ParameterException(
                        new picocli.CommandLine(this), tokenFile + " is too large for a token");
            }
            return Files.readAllLines(tokenFile).stream().findFirst().map(String::strip).orElse("");
        }
        String fromEnv = System.getenv("SENTIFLOW_CONSOLE_TOKEN");
        return fromEnv == null || fromEnv.isBlank() ? null : fromEnv.strip();
    }

    @Override
    public Integer call() throws Exception {
        String token = token();
        ConsoleSettings settings =
                ConsoleSettings.defaults(kafka.bootstrapServers, port)
                        .withClientProperties(kafka.clientProperties())
                        .withTopics(reviewsTopic, sentimentsTopic, healthTopic)
                        .withAnswerTimeout(Duration.ofMillis(answerTimeoutMs))
                        .withBind(bind)
                        .withAllowedHosts(allowedHosts)
                        .withToken(token);
        if (token == null && !java.net.InetAddress.getByName(bind).isLoopbackAddress()) {
            System.err.println(
                    "warning: the console listens on "
                            + bind
                            + " without a token: anyone who reaches it can send reviews");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (ConsoleServer console = ConsoleServer.start(settings)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
            System.out.println(
                    "Sentiflow console: "
                            + console.address()
                            + " on "
                            + bind
                            + (token == null ? "" : ", token required")
                            + "  (Ctrl-C stops it)");
            stopped.await();
        }
        return 0;
    }
}
