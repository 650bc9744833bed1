package io.sentiflow.local;

import java.io.IOException;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;

/** A Kafka broker the demo or a test started on this machine: in this JVM or in a child one. */
public interface KafkaBroker extends AutoCloseable {
    String bootstrapServers();

    /** An admin client with the broker's own credentials (if it has any). */
    Admin admin();

    /** Creates topics that do not exist yet. */
    default void createTopics(int partitions, List<String> topics) throws IOException {
        try (Admin admin = admin()) {
            KafkaClients.createTopics(admin, partitions, topics);
        }
    }

    @Override
    void close();
}
