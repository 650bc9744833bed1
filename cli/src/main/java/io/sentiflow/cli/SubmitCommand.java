package io.sentiflow.cli;

import io.sentiflow.job.JobConfig;
import io.sentiflow.local.FlinkRest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sentiflow submit}: the job jar to any JobManager over its REST API, as {@code flink run}
 * does — upload, then run with the job's own {@code --key value} settings.
 */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        description = {
            "Upload the job jar to a Flink JobManager and run it, as `flink run` does (REST:",
            "POST /jars/upload, POST /jars/{id}/run). The job's settings follow `--`, e.g.",
            "  sentiflow submit --jobmanager http://127.0.0.1:8081 -- --bootstrap.servers",
            "  kafka:9092 --model.path /models/textcnn-imdb --parallelism 2"
        })
public final class SubmitCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--jobmanager",
            defaultValue = "http://127.0.0.1:8081",
            description = "The JobManager's REST address (default: ${DEFAULT-VALUE}).")
    URI jobManager;

    @Option(
            names = "--jar",
            description = "The job jar (default: job/target/sentiflow-job-*-flink.jar).")
    Path jar;

    @Option(names = "--savepoint", description = "Start from this savepoint or checkpoint.")
    String savepoint;

    @Parameters(paramLabel = "JOB-SETTINGS", description = "The job's --key value settings.")
    List<String> jobArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // The settings are checked here too: a typo fails before anything is uploaded.
        JobConfig.fromArgs(jobArgs.toArray(String[]::new));
        Path chosen = jar != null ? jar : defaultJar();
        FlinkRest rest = new FlinkRest(jobManager);
        String jarId = rest.uploadJar(chosen);
        String job = rest.runJar(jarId, jobArgs, savepoint);
        var out = spec.commandLine().getOut();
        out.println("submitted " + chosen.getFileName() + " as job " + job);
        out.println("web UI: " + rest.base() + "#/job/running/" + job + "/overview");
        out.flush();
        return 0;
    }

    /** The shaded job jar the build wrote. */
    static Path defaultJar() throws IOException {
        Path target = ClusterCommand.home().resolve("job/target");
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(
                            p -> p.getFileName().toString().matches("sentiflow-job-.*-flink\\.jar"))
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new IOException(
                                            "no job jar in "
                                                    + target
                                                    + ": build it with ./mvnw -T1 -DskipTests"
                                                    + " package"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("no " + target + ": build the project first", e);
        }
    }
}
