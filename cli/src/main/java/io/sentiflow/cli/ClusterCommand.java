package io.sentiflow.cli;

import io.sentiflow.local.FlinkRest;
import io.sentiflow.local.FlinkSessionCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sentiflow cluster start|stop|status}: a real standalone Flink session cluster on this
 * machine, each process a JVM of its own, without a Flink download or Docker.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = {
            "A local standalone Flink session cluster: one JobManager with its web UI and",
            "TaskManagers, each a separate JVM on a classpath of Flink's own jars, configured as",
            "the image is (deploy/flink/sentiflow-flink.yaml). Submit jobs with `sentiflow submit`."
        },
        subcommands = {
            ClusterCommand.Start.class,
            ClusterCommand.Stop.class,
            ClusterCommand.Status.class
        })
public final class ClusterCommand implements Runnable {
    /** The Flink options the image appends to its config.yaml; the local cluster uses them too. */
    public static final String IMAGE_FLINK_CONFIG = "deploy/flink/sentiflow-flink.yaml";

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    /** Flink's jars, and DJL's, as the flink-lib module lists them (the image's DJL set). */
    static List<Path> lib(boolean withDjl) throws IOException {
        Path libs = home().resolve("flink-lib/target");
        List<Path> lib = new ArrayList<>(classpathFile(libs.resolve("flink-lib-classpath.txt")));
        if (withDjl) {
            lib.addAll(classpathFile(libs.resolve("djl-lib-classpath.txt")));
        }
        return lib;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The project checkout this CLI runs from ({@code -Dsentiflow.home}, else the parent dir). */
    static Path home() {
        return Path.of(System.getProperty("sentiflow.home", "..")).toAbsolutePath().normalize();
    }

    /** Jars listed in a classpath file that Maven wrote. */
    static List<Path> classpathFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    file
                            + " is missing: build the project first (./mvnw -T1 -DskipTests"
                            + " package, or any ./sentiflow command)");
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : Files.readString(file).trim().split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                jars.add(Path.of(entry));
            }
        }
        return jars;
    }

    static final class Where {
        @Option(
                names = "--dir",
                defaultValue = ".sentiflow/cluster",
                description =
                        "The cluster's directory: configuration, logs, checkpoints, savepoints"
                                + " (default: ${DEFAULT-VALUE}).")
        Path directory;
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = "Start a JobManager and TaskManagers, print the web UI's address.")
    static final class Start implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin Where where;

        @Option(
                names = "--taskmanagers",
                defaultValue = "2",
                description = "TaskManagers (default: ${DEFAULT-VALUE}).")
        int taskManagers;

        @Option(
                names = "--slots",
                defaultValue = "1",
                description = "Task slots per TaskManager (default: ${DEFAULT-VALUE}).")
        int slots;

        @Option(
                names = "--taskmanager-memory",
                defaultValue = "2000m",
                description = "Each TaskManager's process size (default: ${DEFAULT-VALUE}).")
        String memory;

        @Option(
                names = "--djl-in-lib",
                negatable = true,
                defaultValue = "true",
                fallbackValue = "true",
                description =
                        "Put DJL and libtorch in the cluster's lib/, loaded parent-first, as the"
                                + " image does (default); --no-djl-in-lib leaves them to the job"
                                + " jar (then only one job per TaskManager can load libtorch).")
        boolean djlInLib;

        @Override
        public Integer call() throws Exception {
            Path directory = where.directory.toAbsolutePath();
            if (FlinkSessionCluster.state(directory).isPresent()) {
                throw new IllegalStateException(
                        "a cluster already runs from "
                                + directory
                                + ": `sentiflow cluster stop` first, or --dir");
            }
            Path libs = home().resolve("flink-lib/target");
            List<Path> lib =
                    new ArrayList<>(classpathFile(libs.resolve("flink-lib-classpath.txt")));
            if (djlInLib) {
                lib.addAll(classpathFile(libs.resolve("djl-lib-classpath.txt")));
            }
            FlinkSessionCluster cluster =
                    FlinkSessionCluster.start(
                            new FlinkSessionCluster.Settings(
                                    directory,
                                    lib(djlInLib),
                                    taskManagers,
                                    slots,
                                    memory,
                                    List.of(home().resolve("deploy/flink/sentiflow-flink.yaml")),
                                    Map.of()));
            var out = spec.commandLine().getOut();
            out.println(
                    "Flink session cluster up: "
                            + taskManagers
                            + " TaskManager(s) of "
                            + slots
                            + " slot(s), DJL "
                            + (djlInLib ? "in lib/ (parent-first)" : "in the job jar"));
            out.println("Flink web UI and REST API: " + cluster.restAddress());
            out.println("logs: " + directory.resolve("log"));
            out.println(
                    "submit: ./sentiflow submit --jobmanager "
                            + cluster.restAddress()
                            + " -- --bootstrap.servers HOST:9092 --model.path DIR");
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "Stop the cluster's processes.")
    static final class Stop implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin Where where;

        @Override
        public Integer call() throws Exception {
            int stopped = FlinkSessionCluster.stop(where.directory.toAbsolutePath());
            spec.commandLine().getOut().println("stopped " + stopped + " process(es)");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Show the cluster's address, TaskManagers and jobs; exit 1 when down.")
    static final class Status implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin Where where;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            Optional<FlinkSessionCluster.State> state =
                    FlinkSessionCluster.state(where.directory.toAbsolutePath());
            if (state.isEmpty()) {
                out.println("no cluster started from " + where.directory.toAbsolutePath());
                out.flush();
                return 1;
            }
            FlinkRest rest = new FlinkRest(state.get().restAddress());
            if (!rest.isUp()) {
                out.println("the JobManager at " + state.get().restAddress() + " does not answer");
                out.flush();
                return 1;
            }
            out.println("JobManager: " + state.get().restAddress());
            out.println("TaskManagers registered: " + rest.taskManagers());
            for (var job : rest.get("jobs/overview").path("jobs")) {
                out.println(
                        "job "
                                + job.path("jid").asText()
                                + " "
                                + job.path("name").asText()
                                + " "
                                + job.path("state").asText());
            }
            out.flush();
            return 0;
        }
    }
}
