package io.sentiflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.StreamingFixture;
import io.sentiflow.job.TestModel;
import io.sentiflow.local.FlinkRest;
import io.sentiflow.local.FlinkSessionCluster;
import io.sentiflow.local.KafkaBrokerProcess;
import io.sentiflow.model.data.LabeledText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar on a real standalone Flink session cluster: a JobManager and TaskManagers in JVMs of
 * their own on a classpath of Flink's jars only, the shaded jar uploaded and run over REST as
 * {@code flink run} does, DJL loaded through Flink's user-code classloader, a broker in a process
 * of its own. The cluster is configured as the image is ({@code
 * deploy/flink/sentiflow-flink.yaml}).
 */
class ClusterEndToEndTest {
    private static KafkaBrokerProcess broker;

    @TempDir static Path work;

    @BeforeAll
    static void startABroker() throws Exception {
        broker = KafkaBrokerProcess.start(Map.of());
        TestModel.directory();
    }

    @AfterAll
    static void stopTheBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static FlinkSessionCluster cluster(
            String name, int taskManagers, int slots, boolean djl) throws Exception {
        return FlinkSessionCluster.start(
                new FlinkSessionCluster.Settings(
                        work.resolve(name),
                        ClusterCommand.lib(djl),
                        taskManagers,
                        slots,
                        "1600m",
                        List.of(ClusterCommand.home().resolve("deploy/flink/sentiflow-flink.yaml")),
                        Map.of()));
    }

    /** A shaded jar of the job module: {@code flink} (DJL inside) or {@code image} (without). */
    static Path jar(String classifier) throws Exception {
        try (Stream<Path> files = Files.list(ClusterCommand.home().resolve("job/target"))) {
            return files.filter(
                            p ->
                                    p.getFileName()
                                            .toString()
                                            .matches("sentiflow-job-.*-" + classifier + "\\.jar"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    private static List<String> jobArgs(StreamingFixture fixture, Map<String, String> extra) {
        Map<String, String> settings = new java.util.HashMap<>(extra);
        settings.putIfAbsent(JobConfig.PARALLELISM, "2");
        settings.putIfAbsent(JobConfig.CHECKPOINT_INTERVAL_MS, "1000");
        settings.putIfAbsent(JobConfig.RESTART_DELAY_MS, "500");
        return fixture.args(settings);
    }

    /**
     * Reviews the cluster's scoring subtasks queued again from a checkpoint or savepoint, summed
     * over every TaskManager's log (killed ones included).
     */
    private static long requeued(FlinkSessionCluster cluster) throws IOException {
        Pattern line = Pattern.compile("queued (\\d+) reviews from the checkpoint again");
        long total = 0;
        try (Stream<Path> logs = Files.list(cluster.directory().resolve("log"))) {
            for (Path log :
                    logs.filter(p -> p.getFileName().toString().startsWith("taskmanager-"))
                            .toList()) {
                Matcher found =
                        line.matcher(
                                new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1));
                while (found.find()) {
                    total += Long.parseLong(found.group(1));
                }
            }
        }
        return total;
    }

    private static String submit(FlinkRest rest, Path jar, List<String> args, String savepoint)
            throws Exception {
        String job = rest.runJar(rest.uploadJar(jar), args, savepoint);
        assertThat(FlinkRest.await(Duration.ofSeconds(120), () -> rest.allVerticesRunning(job)))
                .as("job %s running", job)
                .isTrue();
        return job;
    }

    @Test
    void aTaskManagerKilledMidStreamShouldLoseAndRepeatNoReviewAndASavepointShouldUpgradeTheJob()
            throws Exception {
        // DJL in lib/, as in the image: the upgraded job reuses the TaskManagers' libtorch. The jar
        // is the fat one (DJL inside too): parent-first loading takes lib/'s copy.
        try (FlinkSessionCluster cluster = cluster("failover", 2, 1, true)) {
            FlinkRest rest = cluster.rest();
            StreamingFixture fixture = new StreamingFixture(broker, "cluster-kill");
            // Partial batches wait 3 s, so every checkpoint and the savepoint hold reviews that
            // were read but not scored: only their restore from state scores them.
            Map<String, String> waiting = Map.of(JobConfig.BATCH_MAX_DELAY_MS, "3000");
            String job = submit(rest, jar("flink"), jobArgs(fixture, waiting), null);
            List<LabeledText> texts = TestModel.imdb().sample("test", 2400, 71);
            CompletableFuture<Void> producing =
                    CompletableFuture.runAsync(() -> fixture.produce(texts, "imdb", 200));
            // Some reviews are scored and committed before the crash.
            assertThat(fixture.committedSentiments(300, Duration.ZERO, Duration.ofSeconds(90)))
                    .hasSizeGreaterThanOrEqualTo(300);
            cluster.killTaskManager(0);
            cluster.startTaskManager();
            producing.get();
            var counts =
                    fixture.sentimentCounts(
                            texts.size(), Duration.ofSeconds(5), Duration.ofSeconds(240));
            assertThat(counts).hasSize(texts.size());
            assertThat(counts.values()).as("every review exactly once").containsOnly(1);
            JsonNode failures = rest.exceptionHistory(job);
            assertThat(failures).as("the kill was noticed and survived").isNotEmpty();
            assertThat(failures.get(0).path("exceptionName").asText()).isNotEmpty();
            assertThat(rest.jobState(job)).isEqualTo("RUNNING");
            assertThat(requeued(cluster))
                    .as("reviews the restore took from the checkpoint")
                    .isPositive();
            rest.cancel(job);
            assertThat(
                            FlinkRest.await(
                                    Duration.ofSeconds(60),
                                    () -> "CANCELED".equals(rest.jobState(job))))
                    .as("the first job ended before the next starts")
                    .isTrue();

            // Savepoint upgrade: stop mid-stream, submit the jar again from the savepoint.
            StreamingFixture upgrade = new StreamingFixture(broker, "cluster-upgrade");
            List<String> args = jobArgs(upgrade, waiting);
            String first = submit(rest, jar("flink"), args, null);
            List<LabeledText> more = TestModel.imdb().sample("test", 2000, 73);
            CompletableFuture<Void> streaming =
                    CompletableFuture.runAsync(() -> upgrade.produce(more, "up", 150));
            assertThat(upgrade.committedSentiments(200, Duration.ZERO, Duration.ofSeconds(90)))
                    .hasSizeGreaterThanOrEqualTo(200);
            String savepoint =
                    rest.stopWithSavepoint(
                            first,
                            work.resolve("savepoints").toUri().toString(),
                            Duration.ofSeconds(120));
            assertThat(
                            FlinkRest.await(
                                    Duration.ofSeconds(60),
                                    () -> "FINISHED".equals(rest.jobState(first))))
                    .isTrue();
            int beforeResume =
                    upgrade.sentimentCounts(0, Duration.ofSeconds(2), Duration.ofSeconds(2)).size();
            assertThat(beforeResume).as("stopped mid-stream").isLessThan(more.size());
            // Every job before has ended and the first one never failed over, so what is queued
            // again from here on comes from the savepoint (the resumed job's failures are none,
            // checked below).
            assertThat(rest.exceptionHistory(first)).isEmpty();
            long beforeUpgrade = requeued(cluster);
            String resumed = submit(rest, jar("flink"), args, savepoint);
            assertThat(
                            FlinkRest.await(
                                    Duration.ofSeconds(60),
                                    () -> requeued(cluster) > beforeUpgrade))
                    .as(
                            "the savepoint held reviews read but not scored, and the upgrade scored them")
                    .isTrue();
            streaming.get();
            var upgraded =
                    upgrade.sentimentCounts(
                            more.size(), Duration.ofSeconds(5), Duration.ofSeconds(180));
            assertThat(upgraded).hasSize(more.size());
            assertThat(upgraded.values()).as("exactly once across the upgrade").containsOnly(1);
            assertThat(more.size() - beforeResume)
                    .as("reviews the resumed job scored")
                    .isPositive();
            assertThat(rest.exceptionHistory(resumed)).isEmpty();
            rest.cancel(resumed);
        }
    }

    @Test
    void libtorchShouldLoadOncePerTaskManagerOnlyWhenDjlIsParentFirstInLib() throws Exception {
        // DJL inside both job jars: the second job's classloader cannot load libtorch again.
        try (FlinkSessionCluster cluster = cluster("djl-in-jar", 1, 2, false)) {
            FlinkRest rest = cluster.rest();
            StreamingFixture first = new StreamingFixture(broker, "jar-first");
            StreamingFixture second = new StreamingFixture(broker, "jar-second");
            List<LabeledText> texts = TestModel.imdb().sample("test", 60, 75);
            first.produce(texts, "a", 0);
            second.produce(texts, "b", 0);
            String a =
                    submit(
                            rest,
                            jar("flink"),
                            jobArgs(first, Map.of(JobConfig.PARALLELISM, "1")),
                            null);
            assertThat(first.sentimentCounts(texts.size(), Duration.ZERO, Duration.ofSeconds(90)))
                    .hasSize(texts.size());
            String b =
                    rest.runJar(
                            rest.uploadJar(jar("flink")),
                            jobArgs(
                                    second,
                                    Map.of(
                                            JobConfig.PARALLELISM, "1",
                                            JobConfig.RESTART_MAX_FAILURES, "0")),
                            null);
            assertThat(
                            FlinkRest.await(
                                    Duration.ofSeconds(120),
                                    () -> "FAILED".equals(rest.jobState(b))))
                    .as("the second job fails")
                    .isTrue();
            assertThat(rest.get("jobs/" + b + "/exceptions").toString())
                    .contains("UnsatisfiedLinkError")
                    .contains("already loaded in another classloader");
            assertThat(rest.jobState(a)).isEqualTo("RUNNING");
            rest.cancel(a);
        }
        // DJL in the cluster's lib/, loaded parent-first, and the jar without it: both score.
        // This time through the command line, as a user would.
        Path directory = work.resolve("djl-in-lib");
        ConsoleCapture.Result started =
                ConsoleCapture.run(
                        "cluster",
                        "start",
                        "--dir",
                        directory.toString(),
                        "--taskmanagers",
                        "1",
                        "--slots",
                        "2",
                        "--taskmanager-memory",
                        "1600m");
        try {
            assertThat(started.exitCode()).as(started.err()).isZero();
            assertThat(started.out()).contains("DJL in lib/ (parent-first)");
            FlinkRest rest =
                    new FlinkRest(FlinkSessionCluster.state(directory).orElseThrow().restAddress());
            assertThat(started.out()).contains(rest.base().toString().replaceAll("/$", ""));
            StreamingFixture first = new StreamingFixture(broker, "lib-first");
            StreamingFixture second = new StreamingFixture(broker, "lib-second");
            List<LabeledText> texts = TestModel.imdb().sample("test", 60, 77);
            first.produce(texts, "a", 0);
            second.produce(texts, "b", 0);
            List<String> jobs = new ArrayList<>();
            for (StreamingFixture fixture : List.of(first, second)) {
                List<String> submit =
                        new ArrayList<>(
                                List.of(
                                        "submit",
                                        "--jobmanager",
                                        rest.base().toString(),
                                        "--jar",
                                        jar("image").toString(),
                                        "--"));
                submit.addAll(jobArgs(fixture, Map.of(JobConfig.PARALLELISM, "1")));
                ConsoleCapture.Result submitted = ConsoleCapture.run(submit.toArray(String[]::new));
                assertThat(submitted.exitCode()).as(submitted.err()).isZero();
                java.util.regex.Matcher id =
                        java.util.regex.Pattern.compile("as job ([0-9a-f]{32})")
                                .matcher(submitted.out());
                assertThat(id.find()).as(submitted.out()).isTrue();
                jobs.add(id.group(1));
                assertThat(
                                fixture.sentimentCounts(
                                        texts.size(), Duration.ZERO, Duration.ofSeconds(120)))
                        .as("job %d scores on the same TaskManager", jobs.size())
                        .hasSize(texts.size());
            }
            assertThat(rest.exceptionHistory(jobs.get(1))).isEmpty();
            ConsoleCapture.Result status =
                    ConsoleCapture.run("cluster", "status", "--dir", directory.toString());
            assertThat(status.exitCode()).isZero();
            assertThat(status.out())
                    .contains("TaskManagers registered: 1", jobs.get(0), jobs.get(1), "RUNNING");
        } finally {
            ConsoleCapture.Result stopped =
                    ConsoleCapture.run("cluster", "stop", "--dir", directory.toString());
            assertThat(stopped.out()).contains("stopped 2 process(es)");
        }
        assertThat(
                        ConsoleCapture.run("cluster", "status", "--dir", directory.toString())
                                .exitCode())
                .isEqualTo(1);
    }
}
