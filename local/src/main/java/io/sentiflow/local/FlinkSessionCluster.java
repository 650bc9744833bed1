package io.sentiflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A standalone Flink session cluster on this machine, each process a JVM of its own, started the
 * way Flink's scripts start them but without the distribution: one JobManager ({@code
 * StandaloneSessionClusterEntrypoint}, with its web UI and REST API) and TaskManagers ({@code
 * TaskManagerRunner}, memory flags from {@code BashJavaUtils}), on a classpath of Flink's jars only
 * (its {@code lib/}). Jobs are submitted as jars over REST ({@link FlinkRest}), exactly as on a
 * real cluster.
 *
 * <p>Everything lives in one directory: {@code conf/config.yaml}, {@code log/}, checkpoints,
 * savepoints, and {@code cluster.json} with the processes' pids, so a later command can stop a
 * cluster an earlier one started.
 */
public final class FlinkSessionCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATE_FILE = "cluster.json";

    /** Flink's default {@code env.java.opts.all} on Java 17, which its scripts add to every JVM. */
    static final List<String> JAVA_17_OPENS =
            List.of(
                    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
                    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.net=ALL-UNNAMED",
                    "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                    "--add-opens=java.base/java.text=ALL-UNNAMED",
                    "--add-opens=java.base/java.time=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    /**
     * How to start a cluster.
     *
     * @param directory where its configuration, logs, checkpoints and state go
     * @param lib the cluster's classpath: Flink's jars (and, for parent-first DJL, DJL's)
     * @param taskManagers TaskManagers to start
     * @param slots task slots per TaskManager
     * @param taskManagerMemory {@code taskmanager.memory.process.size}, e.g. {@code 1600m}
     * @param configFiles YAML files appended to the configuration, as an image appends its own
     * @param settings further settings, written last
     */
    public record Settings(
            Path directory,
            List<Path> lib,
            int taskManagers,
            int slots,
            String taskManagerMemory,
            List<Path> configFiles,
            Map<String, String> settings) {
        public Settings {
            lib = List.copyOf(lib);
            configFiles = List.copyOf(configFiles);
            settings = Map.copyOf(settings);
        }
    }

    private final Path directory;
    private final List<Path> lib;
    private final URI restAddress;
    private final List<String> javaOpts;
    private final Process jobManager;
    private final List<Process> taskManagers = new ArrayList<>();
    private int started;

    private FlinkSessionCluster(
            Path directory,
            List<Path> lib,
            URI restAddress,
            List<String> javaOpts,
            Process jobManager) {
        this.directory = directory;
        this.lib = lib;
        this.restAddress = restAddress;
        this.javaOpts = javaOpts;
        this.jobManager = jobManager;
    }

    /** Writes the configuration, starts the JobManager and the TaskManagers, waits for them. */
    public static FlinkSessionCluster start(Settings settings) throws IOException {
        Path directory = settings.directory().toAbsolutePath();
        Files.createDirectories(directory.resolve("conf"));
        Files.createDirectories(directory.resolve("log"));
        int restPort = EmbeddedKafka.freePort();
        Map<String, String> config = new LinkedHashMap<>();
        config.put("jobmanager.rpc.address", "127.0.0.1");
        config.put("jobmanager.rpc.port", String.valueOf(EmbeddedKafka.freePort()));
        config.put("jobmanager.bind-host", "127.0.0.1");
        config.put("taskmanager.bind-host", "127.0.0.1");
        config.put("taskmanager.host", "127.0.0.1");
        config.put("rest.address", "127.0.0.1");
        config.put("rest.bind-address", "127.0.0.1");
        config.put("rest.port", String.valueOf(restPort));
        config.put("jobmanager.memory.process.size", "1200m");
        config.put("taskmanager.memory.process.size", settings.taskManagerMemory());
        config.put("taskmanager.memory.managed.fraction", "0.1");
        config.put("taskmanager.numberOfTaskSlots", String.valueOf(settings.slots()));
        config.put("parallelism.default", "1");
        // A killed TaskManager is noticed in seconds, not minutes.
        config.put("heartbeat.interval", "2000");
        config.put("heartbeat.timeout", "8000");
        config.put(
                "execution.checkpointing.dir", directory.resolve("checkpoints").toUri().toString());
        config.put(
                "execution.checkpointing.savepoint-dir",
                directory.resolve("savepoints").toUri().toString());
        config.put("rest.flamegraph.enabled", "true");
        for (Path file : settings.configFiles()) {
            config.putAll(flatYaml(Files.readString(file)));
        }
        // Several processes share this machine: Prometheus reporters take a port of a range.
        config.put("metrics.reporter.prom.port", "9250-9350");
        config.putAll(settings.settings());
        StringBuilder yaml =
                new StringBuilder(
                        "# Written by sentiflow: a local session cluster, with "
                                + settings.configFiles()
                                + "\n");
        config.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
        Files.writeString(directory.resolve("conf/config.yaml"), yaml.toString());
        Files.writeString(
                directory.resolve("conf/log4j.properties"),
                String.join(
                        "\n",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.out.ref = out",
                        "appender.out.type = Console",
                        "appender.out.name = out",
                        "appender.out.layout.type = PatternLayout",
                        "appender.out.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1.} - %m%n",
                        "logger.kafka.name = org.apache.kafka",
                        "logger.kafka.level = WARN",
                        ""));
        List<String> javaOpts = javaOpts(yaml.toString());
        List<String> command = new ArrayList<>(java());
        command.add(marker(directory));
        command.add("-Xmx768m");
        command.addAll(common(directory, javaOpts, "jobmanager"));
        command.add("-cp");
        command.add(classpath(settings.lib()));
        command.add("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        command.addAll(List.of("--configDir", directory.resolve("conf").toString()));
        Process jobManager = launch(command, directory.resolve("log/jobmanager.log"));
        FlinkSessionCluster cluster =
                new FlinkSessionCluster(
                        directory,
                        settings.lib(),
                        URI.create("http://127.0.0.1:" + restPort),
                        javaOpts,
                        jobManager);
        try {
            FlinkRest rest = cluster.rest();
            if (!FlinkRest.await(Duration.ofSeconds(90), () -> rest.isUp() || !jobManager.isAlive())
                    || !jobManager.isAlive()) {
                throw new IOException(
                        "the JobManager did not answer within 90 s; see "
                                + directory.resolve("log/jobmanager.log"));
            }
            for (int i = 0; i < settings.taskManagers(); i++) {
                cluster.startTaskManager();
            }
            cluster.awaitTaskManagers(settings.taskManagers());
            cluster.saveState();
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** The {@code key: value} lines of a flat YAML file such as Flink's, comments left out. */
    static Map<String, String> flatYaml(String yaml) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : yaml.split("\n")) {
            String trimmed = line.strip();
            int colon = trimmed.indexOf(": ");
            if (trimmed.isEmpty() || trimmed.startsWith("#") || colon < 0) {
                continue;
            }
            values.put(trimmed.substring(0, colon).strip(), trimmed.substring(colon + 2).strip());
        }
        return values;
    }

    /** The JVM options {@code env.java.opts.all} adds, as Flink's scripts add them. */
    static List<String> javaOpts(String yaml) {
        List<String> opts = new ArrayList<>();
        for (String line : yaml.split("\n")) {
            if (line.startsWith("env.java.opts.all:")) {
                String value = line.substring("env.java.opts.all:".length()).trim();
                opts.addAll(List.of(value.split("\\s+")));
            }
        }
        return opts;
    }

    private static List<String> java() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return command;
    }

    /** Marks a process as this cluster's, first on its command line (which /proc may cut short). */
    private static String marker(Path directory) {
        return "-Dsentiflow.cluster.directory=" + directory;
    }

    private static List<String> common(Path directory, List<String> javaOpts, String logName) {
        List<String> args = new ArrayList<>(JAVA_17_OPENS);
        args.addAll(javaOpts);
        args.add("-XX:+UseSerialGC");
        args.add("-Dlog4j.configurationFile=" + directory.resolve("conf/log4j.properties").toUri());
        args.add("-Dlog.file=" + directory.resolve("log/" + logName + ".log"));
        return args;
    }

    private static String classpath(List<Path> lib) {
        return lib.stream()
                .map(Path::toString)
                .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    private static Process launch(List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        // As the image's environment: DJL never downloads, and sends no telemetry.
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        return builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /**
     * Starts one more TaskManager: its memory flags and dynamic settings from Flink's {@code
     * BashJavaUtils}, as {@code taskmanager.sh} does. Returns its index.
     */
    public int startTaskManager() throws IOException {
        int index = started++;
        String cp = classpath(lib);
        List<String> probe = new ArrayList<>(java());
        probe.addAll(List.of("-cp", cp, "org.apache.flink.runtime.util.bash.BashJavaUtils"));
        probe.addAll(
                List.of(
                        "GET_TM_RESOURCE_PARAMS",
                        "--configDir",
                        directory.resolve("conf").toString()));
        Process params = new ProcessBuilder(probe).redirectErrorStream(true).start();
        String output = new String(params.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> results = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:")) {
                results.add(line.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()).trim());
            }
        }
        if (results.size() < 2) {
            throw new IOException("BashJavaUtils did not size the TaskManager: " + output);
        }
        List<String> command = new ArrayList<>(java());
        command.add(marker(directory));
        command.addAll(List.of(results.get(0).split("\\s+")));
        command.addAll(common(directory, javaOpts, "taskmanager-" + index));
        command.addAll(
                List.of("-cp", cp, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"));
        command.addAll(List.of("--configDir", directory.resolve("conf").toString()));
        command.addAll(List.of(results.get(1).split("\\s+")));
        taskManagers.add(launch(command, directory.resolve("log/taskmanager-" + index + ".log")));
        saveState();
        return index;
    }

    /** Kills a TaskManager with SIGKILL, as a crash or an OOM kill would. */
    public void killTaskManager(int index) throws IOException {
        Process process = taskManagers.get(index);
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveState();
    }

    /** Waits until {@code count} TaskManagers are registered with the JobManager. */
    public void awaitTaskManagers(int count) throws IOException {
        FlinkRest rest = rest();
        if (!FlinkRest.await(Duration.ofSeconds(90), () -> rest.taskManagers() >= count)) {
            throw new IOException(
                    "only "
                            + rest.taskManagers()
                            + " of "
                            + count
                            + " TaskManagers registered within 90 s; see "
                            + directory.resolve("log"));
        }
    }

    public URI restAddress() {
        return restAddress;
    }

    public FlinkRest rest() {
        return new FlinkRest(restAddress);
    }

    public Path directory() {
        return directory;
    }

    private void saveState() throws IOException {
        ObjectNode state = JSON.createObjectNode();
        state.put("restAddress", restAddress.toString());
        state.put("jobManager", jobManager.pid());
        var array = state.putArray("taskManagers");
        for (Process process : taskManagers) {
            if (process.isAlive()) {
                array.add(process.pid());
            }
        }
        Files.writeString(directory.resolve(STATE_FILE), state.toPrettyString());
    }

    /** What {@code cluster.json} says of a cluster started earlier, if there is one. */
    public record State(URI restAddress, long jobManager, List<Long> taskManagers) {}

    public static Optional<State> state(Path directory) throws IOException {
        Path file = directory.resolve(STATE_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonNode node = JSON.readTree(file.toFile());
        List<Long> taskManagers = new ArrayList<>();
        node.path("taskManagers").forEach(n -> taskManagers.add(n.asLong()));
        return Optional.of(
                new State(
                        URI.create(node.path("restAddress").asText()),
                        node.path("jobManager").asLong(),
                        taskManagers));
    }

    /**
     * Stops the processes of a cluster started earlier (by pid, only those whose command line names
     * this cluster's directory) and forgets it.
     *
     * @return how many processes were stopped
     */
    public static int stop(Path directory) throws IOException {
        Optional<State> state = state(directory);
        if (state.isEmpty()) {
            return 0;
        }
        List<Long> pids = new ArrayList<>(state.get().taskManagers());
        pids.add(state.get().jobManager());
        String mark = marker(directory.toAbsolutePath());
        int stopped = 0;
        for (long pid : pids) {
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isPresent()
                    && handle.get().info().commandLine().map(c -> c.contains(mark)).orElse(false)) {
                handle.get().destroy();
                try {
                    handle.get().onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    handle.get().destroyForcibly();
                }
                stopped++;
            }
        }
        Files.deleteIfExists(directory.resolve(STATE_FILE));
        return stopped;
    }

    /** Stops every process of this cluster (SIGTERM, then SIGKILL) and forgets it. */
    @Override
    public void close() {
        List<Process> all = new ArrayList<>(taskManagers);
        all.add(jobManager);
        for (Process process : all) {
            process.destroy();
        }
        for (Process process : all) {
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try {
            Files.deleteIfExists(directory.resolve(STATE_FILE));
        } catch (IOException e) {
            // best effort
        }
    }
}
