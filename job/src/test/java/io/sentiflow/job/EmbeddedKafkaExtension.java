package io.sentiflow.job;

import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real KRaft broker in the test JVM for one test class: started before its first test, closed
 * after its last. Register it as a static field and use it as the {@link KafkaBroker} it is.
 */
public final class EmbeddedKafkaExtension
        implements KafkaBroker, BeforeAllCallback, AfterAllCallback {
    private EmbeddedKafka broker;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        broker = EmbeddedKafka.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private EmbeddedKafka broker() {
        if (broker == null) {
            throw new IllegalStateException("the broker starts before the class's first test");
        }
        return broker;
    }

    @Override
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    @Override
    public Admin admin() {
        return broker().admin();
    }

    @Override
    public void close() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
