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
    private static final String STATE_FILE = "broker.json";
    private static final String DIRECTORY_PROPERTY = "-Dsentiflow.broker.directory=";

    private final Path directory;
    private final Process process;
    private final String bootstrapServers;
    private final boolean ephemeral;
    private final Thread reaper;

    private KafkaBrokerProcess(
            Path directory, Process process, String bootstrapServers, boolean ephemeral) {
        this.directory = directory;
        this.process = process;
        this.bootstrapServers = bootstrapServers;
        this.ephemeral = ephemeral;
        // A test JVM that dies must not leave a broker behind; a kept broker outlives its starter.
        this.reaper = new Thread(process::destroyForcibly, "kafka-broker-reaper");
        if (ephemeral) {
            Runtime.getRuntime().addShutdownHook(reaper);
        }
    }

    /**
     * Starts a broker with the classpath of this JVM (which must hold kafka_2.13) in a temporary
     * directory, on free ports, and waits until it answers; {@link #close()} stops it and deletes
     * the directory, and so does the end of this JVM.
     *
     * @param overrides server settings added to the defaults, e.g. {@code message.max.bytes}
     */
    public static KafkaBrokerProcess start(Map<String, String> overrides) throws IOException {
        return start(
                Files.createTempDirectory("sentiflow-broker-"),
                EmbeddedKafka.freePort(),
                overrides,
                true);
    }

    /**
     * Starts a broker that keeps its data in {@code directory} and outlives this JVM (for {@code
     * sentiflow kafka start}); {@link #stop(Path)} stops it later.
     */
    public static KafkaBrokerProcess startKept(Path directory, int port) throws IOException {
        return start(directory.toAbsolutePath(), port, Map.of(), false);
    }

    private static KafkaBrokerProcess start(
            Path directory, int brokerPort, Map<String, String> overrides, boolean ephemeral)
            throws IOException {
        Files.createDirectories(directory);
        boolean formatted = Files.isDirectory(directory.resolve("data"));
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
        // A kept broker that starts again keeps its formatted log (and its topics).
        if (!formatted) {
            run(
                    command(
                            directory,
                            "kafka.tools.StorageTool",
                            "format",
                            "-t",
                            Uuid.randomUuid().toString(),
                            "-c",
                            config.toString()),
                    log,
                    true);
        }
        Process process = run(command(directory, "kafka.Kafka", config.toString()), log, false);
        KafkaBrokerProcess broker =
                new KafkaBrokerProcess(directory, process, "127.0.0.1:" + brokerPort, ephemeral);
        try {
            broker.awaitReady();
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
        if (!ephemeral) {
            Files.writeString(
                    directory.resolve(STATE_FILE),
                    "{\"pid\": "
                            + process.pid()
                            + ", \"bootstrapServers\": \""
                            + broker.bootstrapServers
                            + "\"}\n");
        }
        return broker;
    }

    /** The bootstrap servers of a kept broker started earlier in {@code directory}, if it runs. */
    public static java.util.Optional<String> running(Path directory) throws IOException {
        Path state = directory.resolve(STATE_FILE);
        if (!Files.isRegularFile(state)) {
            return java.util.Optional.empty();
        }
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.toFile());
        boolean alive =
                ProcessHandle.of(node.path("pid").asLong())
                        .map(ProcessHandle::isAlive)
                        .orElse(false);
        return alive
                ? java.util.Optional.of(node.path("bootstrapServers").asText())
                : java.util.Optional.empty();
    }

    /** Stops a kept broker started earlier in {@code directory}; false when none runs. */
    public static boolean stop(Path directory) throws IOException {
        Path state = directory.resolve(STATE_FILE);
        if (!Files.isRegularFile(state)) {
            return false;
        }
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.toFile());
        var handle = ProcessHandle.of(node.path("pid").asLong());
        boolean stopped = false;
        if (handle.isPresent()
                && handle.get()
                        .info()
                        .commandLine()
                        .map(c -> c.contains(DIRECTORY_PROPERTY + directory.toAbsolutePath()))
                        .orElse(false)) {
            handle.get().destroy();
            try {
                handle.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                handle.get().destroyForcibly();
            }
            stopped = true;
        }
        Files.deleteIfExists(state);
        return stopped;
    }

    private static List<String> command(Path directory, String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // First, so that a command line cut short (as /proc may show it) still names it.
        command.add(DIRECTORY_PROPERTY + directory);
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
            if (ephemeral) {
                try {
                    Runtime.getRuntime().removeShutdownHook(reaper);
                } catch (IllegalStateException shuttingDown) {
                    // The hook runs anyway.
                }
                EmbeddedKafka.deleteRecursively(directory);
            }
        }
    }
}
