package io.sentiflow.cli;

import io.sentiflow.local.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sentiflow produce}: reviews from a file or standard input to a topic. */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = {
            "Publish reviews to a Kafka topic.",
            "CSV (review,sentiment) rows and text lines become review.v1 JSON; JSON lines are sent as written."
        })
public final class ProduceCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Parameters(
            index = "0",
            paramLabel = "FILE",
            description = "CSV, JSON-lines or text file; - for standard input (JSON lines).")
    String file;

    @Option(
            names = "--topic",
            defaultValue = "reviews",
            description = "Topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--format",
            defaultValue = "auto",
            description = "auto, csv, jsonl or text (default: ${DEFAULT-VALUE}: by file name).")
    ReviewFiles.Format format;

    @Option(
            names = "--id-prefix",
            defaultValue = "review",
            description = "Id prefix for CSV and text input (default: ${DEFAULT-VALUE}).")
    String idPrefix;

    @Option(names = "--limit", description = "Send at most this many.")
    Integer limit;

    @Option(
            names = "--rate",
            defaultValue = "0",
            description = "Messages per second; 0 sends as fast as possible (default).")
    double rate;

    @Override
    public Integer call() throws Exception {
        List<ReviewFiles.Message> messages = ReviewFiles.read(file, format, idPrefix);
        if (limit != null && limit < messages.size()) {
            messages = messages.subList(0, limit);
        }
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(kafka.bootstrapServers, kafka.clientProperties())) {
            for (int i = 0; i < messages.size(); i++) {
                ReviewFiles.Message message = messages.get(i);
                byte[] key =
                        message.key() == null
                                ? null
                                : message.key().getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, key, message.value()));
                Pacer.await(start, i + 1, rate);
            }
            producer.flush();
        }
        System.out.printf("sent %d messages to %s%n", messages.size(), topic);
        return 0;
    }
}
