package io.sentiflow.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How a CLI command reaches Kafka: the brokers, and client settings (security.protocol, SASL, SSL)
 * from a properties file or {@code SENTIFLOW_KAFKA_*} environment variables — never secrets on the
 * command line.
 */
public final class KafkaOptions {
    @Option(
            names = "--bootstrap-servers",
            defaultValue = "${env:SENTIFLOW_BOOTSTRAP_SERVERS:-localhost:9092}",
            description =
                    "Kafka brokers (default: $SENTIFLOW_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
            names = "--kafka-config",
            description =
                    "Properties file with Kafka client settings (security.protocol, sasl.*, ssl.*).")
    Path clientConfig;

    /** Client settings: the file first, then {@code SENTIFLOW_KAFKA_*} variables. */
    public Properties clientProperties() throws IOException {
        return clientProperties(clientConfig);
    }

    /** Client settings from {@code file} (may be null), then from the environment. */
    static Properties clientProperties(Path file) throws IOException {
        Properties properties = new Properties();
        if (file != null) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            }
        }
        properties.putAll(fromEnvironment(System.getenv()));
        return properties;
    }

    static Properties fromEnvironment(Map<String, String> environment) {
        Properties properties = new Properties();
        String prefix = "SENTIFLOW_KAFKA_";
        environment.forEach(
                (name, value) -> {
                    if (name.startsWith(prefix)) {
                        properties.setProperty(
                                name.substring(prefix.length())
                                        .toLowerCase(java.util.Locale.ROOT)
                                        .replace('_', '.'),
                                value);
                    }
                });
        return properties;
    }
}
