package io.sentiflow.local;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker (KRaft) in a child JVM ({@code kafka.Kafka server.properties}),
 * on 127.0.0.1, with its own settings and log in a temporary directory: the broker the job meets in
 * production is a separate process, and so is this one. For tests and the local cluster; never for
 * production. Its output goes to {@code broker.log} in its directory.
 */
public final class KafkaBrokerProcess implements KafkaBroker {
    private final Path directory;
    private final Process process;
    private final String bootstrapServers;
    private final Thread reaper;

    private KafkaBrokerProcess(Path directory, Process process, String bootstrapServers) {
        this.directory = directory;
        this.process = process;
        this.bootstrapServers = bootstrapServers;
        // A test JVM that dies must not leave a broker behind.
        this.reaper = new Thread(process::destroyForcibly, "kafka-broker-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * Starts a broker with the classpath of this JVM (which must hold kafka_2.13) and waits until
     * it answers.
     *
     * @param overrides server settings added to the defaults, e.g. {@code message.max.bytes}
     */
    public static KafkaBrokerProcess start(Map<String, String> overrides) throws IOException {
        Path directory = Files.createTempDirectory("sentiflow-broker-");
        int brokerPort = EmbeddedKafka.freePort();
        int controllerPort = EmbeddedKafka.freePort();
        Properties props =
                EmbeddedKafka.serverProperties(
                        directory.resolve("data"),
                        brokerPort,
                        controllerPort,
                        "PLAINTEXT",
                        overrides);
        Path config = directory.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(config)) {
            props.store(out, "sentiflow broker process");
        }
        Path log = directory.resolve("broker.log");
        run(
                command(
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        Uuid.randomUuid().toString(),
                        "-c",
                        config.toString()),
                log,
                true);
        Process process = run(command("kafka.Kafka", config.toString()), log, false);
        KafkaBrokerProcess broker =
                new KafkaBrokerProcess(directory, process, "127.0.0.1:" + brokerPort);
        try {
            broker.awaitReady();
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    private static List<String> command(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    private static Process run(List<String> command, Path log, boolean wait) throws IOException {
        Process process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        if (wait) {
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    process.destroyForcibly();
                    throw new IOException(
                            "formatting the broker's log directory failed; see " + log);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while formatting the broker's log", e);
            }
        }
        return process;
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(
                        "the broker process exited with "
                                + process.exitValue()
                                + "; see "
                                + directory.resolve("broker.log"));
            }
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
            }
        }
        throw new IOException("the broker process did not become ready within 90 s", last);
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    /** Stops the broker (SIGTERM, then SIGKILL after 30 s) and deletes its directory. */
    @Override
    public void close() {
        try {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway.
            }
            EmbeddedKafka.deleteRecursively(directory);
        }
    }
}
