package io.sentiflow.cli;

import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** {@code sentiflow job}: the streaming job on a local Flink mini cluster, against any Kafka. */
@Command(
        name = "job",
        mixinStandardHelpOptions = true,
        description = {
            "Run the streaming job on a local Flink mini cluster until interrupted.",
            "Takes the job's own --key value settings, e.g. --bootstrap.servers host:9092 --model.path DIR",
            "--batch.max-size 64 --config job.properties (kafka.* keys carry client security settings)."
        })
public final class JobCommand implements Callable<Integer> {
    @Option(
            names = "--web-ui-port",
            defaultValue = "8081",
            description = "Port of the local Flink web UI (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Unmatched List<String> jobArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.fromArgs(jobArgs.toArray(String[]::new));
        System.out.println("starting " + config);
        // Checks the topics first: a missing one fails here, before a cluster starts.
        SentimentJob job = SentimentJob.fromConfig(config);
        StreamExecutionEnvironment env =
                LocalFlink.environment(webUiPort, Math.max(1, config.parallelism()));
        System.out.println("Flink web UI: http://127.0.0.1:" + webUiPort);
        job.execute(env);
        return 0;
    }
}
