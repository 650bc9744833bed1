package io.sentiflow.cli;

import io.sentiflow.local.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sentiflow tail}: print a topic's records. */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description =
                "Print a topic's records as key<TAB>value, from the beginning, committed transactions only.")
public final class TailCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "e.g. sentiments or reviews-dlq.")
    String topic;

    @Option(names = "--max", description = "Stop after this many records.")
    Integer max;

    @Option(
            names = "--timeout",
            defaultValue = "0",
            description =
                    "Stop after this many seconds without a record; 0 follows forever (default).")
    long idleSeconds;

    @Option(
            names = "--read-uncommitted",
            description = "Also show records of open or aborted transactions.")
    boolean readUncommitted;

    @Override
    public Integer call() throws Exception {
        Properties properties = kafka.clientProperties();
        int printed = 0;
        long lastRecord = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer =
                KafkaClients.consumer(kafka.bootstrapServers, properties, !readUncommitted)) {
            consumer.subscribe(List.of(topic));
            while (max == null || printed < max) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(500))) {
                    String key =
                            record.key() == null
                                    ? ""
                                    : new String(record.key(), StandardCharsets.UTF_8);
                    String value =
                            record.value() == null
                                    ? "null"
                                    : new String(record.value(), StandardCharsets.UTF_8);
                    System.out.println(key + "\t" + value);
                    lastRecord = System.nanoTime();
                    if (max != null && ++printed >= max) {
                        break;
                    }
                }
                if (idleSeconds > 0
                        && System.nanoTime() - lastRecord > idleSeconds * 1_000_000_000L) {
                    break;
                }
            }
        }
        System.out.flush();
        return 0;
    }
}
