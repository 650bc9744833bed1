package io.sentiflow.cli;

import io.sentiflow.console.ConsoleServer;
import io.sentiflow.console.ConsoleSettings;
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

    @Override
    public Integer call() throws Exception {
        ConsoleSettings settings =
                ConsoleSettings.defaults(kafka.bootstrapServers, port)
                        .withClientProperties(kafka.clientProperties())
                        .withTopics(reviewsTopic, sentimentsTopic, healthTopic)
                        .withAnswerTimeout(Duration.ofMillis(answerTimeoutMs));
        CountDownLatch stopped = new CountDownLatch(1);
        try (ConsoleServer console = ConsoleServer.start(settings)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
            System.out.println("Sentiflow console: " + console.address() + "  (Ctrl-C stops it)");
            stopped.await();
        }
        return 0;
    }
}
