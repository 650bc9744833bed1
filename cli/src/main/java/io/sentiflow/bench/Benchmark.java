package io.sentiflow.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sentiflow.job.JobConfig;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Measures, in one run on real IMDB test reviews: (a) the model alone at each batch size (median of
 * three passes), (b) the job end to end with adaptive batching, (c) the job scoring one review per
 * call, (d) latency at half of (b)'s rate, (e) the pipeline's own ceiling with a near-free model,
 * with the CPU each review costs and where it goes, and (f) latency at a tenth of (b)'s rate; plus
 * a sweep of batch sizes and minimum delays. Prints a table and writes {@code results.json} and two
 * PNG plots.
 */
public final class Benchmark {
    /** What to measure. */
    public record Settings(
            Path model,
            Path nearFreeModel,
            List<LabeledText> reviews,
            int parallelism,
            List<Integer> batchSizes,
            List<Long> delays,
            int latencySeconds,
            Path output,
            Scope scope) {}

    /** What one run measures: everything, (e) alone, or (b) then (d) and (f). */
    public enum Scope {
        ALL,
        CEILING,
        LATENCY
    }

    static final int DEFAULT_SIZE = 64;

    private final Settings settings;
    private final PrintStream out;

    public Benchmark(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public ObjectNode run() throws Exception {
        if (settings.scope() == Scope.CEILING) {
            return ceiling();
        }
        if (settings.scope() == Scope.LATENCY) {
            return latency();
        }
        ObjectNode results = Json.mapper().createObjectNode();
        results.put("reviews", settings.reviews().size());
        results.put("parallelism", settings.parallelism());
        results.put("cores", Runtime.getRuntime().availableProcessors());
        results.put("torchThreads", System.getProperty("ai.djl.pytorch.num_threads", "default"));

        out.printf(
                Locale.ROOT,
                "(a) the model alone, pre-tokenized, %d scorer(s) side by side:%n",
                settings.parallelism());
        ObjectNode raw = results.putObject("raw");
        RawModel model =
                rawModel(
                        settings.model(), raw, results.putObject("rawRuns"), settings.batchSizes());
        results.put("modelVersion", model.version());
        results.put("rawBestPerSecond", model.best());
        results.put("rawBestBatchSize", model.bestSize());
        results.put("rawSinglePerSecond", model.single());
        results.put("rawCpuMicrosPerReview", model.cpuMicros());

        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                LocalCluster cluster = LocalCluster.start(settings.parallelism())) {
            preloadBacklog(kafka);
            StreamRun runs = warmRuns(kafka, cluster, settings.model(), Map.of());

            out.println(
                    "(b, c) the job end to end (Kafka → Flink → Kafka), throughput on a backlog:");
            StreamRun.Result dynamic = runs.median(settings.model(), DEFAULT_SIZE, 0, "(b)");
            StreamRun.Result single = runs.median(settings.model(), 1, 0, "(c)");
            results.put("dynamicPerSecond", dynamic.perSecond());
            results.set("dynamicRunsPerSecond", dynamic.runsJson());
            results.put("singlePerSecond", single.perSecond());
            results.set("singleRunsPerSecond", single.runsJson());
            results.set("dynamicCpu", dynamic.cpuJson());

            out.println("    sweep: batch size (adaptive), and minimum delay at batch 64");
            ArrayNode sweep = results.putArray("sweep");
            for (int size : settings.batchSizes()) {
                StreamRun.Result r =
                        size == DEFAULT_SIZE
                                ? dynamic
                                : size == 1 ? single : runs.backlog(settings.model(), size, 0);
                sweepPoint(sweep, size, 0, r);
            }
            for (long delay : settings.delays()) {
                if (delay != 0) {
                    sweepPoint(
                            sweep,
                            DEFAULT_SIZE,
                            delay,
                            runs.backlog(settings.model(), DEFAULT_SIZE, delay));
                }
            }

            double half = dynamic.perSecond() / 2;
            double tenth = dynamic.perSecond() / 10;
            out.printf(
                    Locale.ROOT,
                    "(f, d) latency (Kafka timestamp → scored), %d s per point:%n",
                    settings.latencySeconds());
            // The light load first: the JIT compiles the live path while cores are free.
            StreamRun.Result lowLoad =
                    runs.live(
                            settings.model(),
                            tenth,
                            DEFAULT_SIZE,
                            0,
                            settings.latencySeconds(),
                            "(f) a tenth of (b)");
            StreamRun.Result lowLoadDelay =
                    runs.live(
                            settings.model(),
                            tenth,
                            DEFAULT_SIZE,
                            50,
                            settings.latencySeconds(),
                            "    a tenth, minimum delay 50 ms");
            StreamRun.Result halfLoad =
                    runs.live(
                            settings.model(),
                            half,
                            DEFAULT_SIZE,
                            0,
                            settings.latencySeconds(),
                            "(d) half load");
            StreamRun.Result halfLoadDelay =
                    runs.live(
                            settings.model(),
                            half,
                            DEFAULT_SIZE,
                            50,
                            settings.latencySeconds(),
                            "    half load, minimum delay 50 ms");
            results.set("halfLoad", halfLoad.latencyJson(half));
            results.set("halfLoadWithDelay50", halfLoadDelay.latencyJson(half));
            results.set("lowLoad", lowLoad.latencyJson(tenth));
            results.set("lowLoadWithDelay50", lowLoadDelay.latencyJson(tenth));

            out.println("(e) the pipeline's ceiling: the same job with a near-free model:");
            ObjectNode nearFreeRaw = results.putObject("nearFreeRaw");
            RawModel free =
                    rawModel(
                            settings.nearFreeModel(),
                            nearFreeRaw,
                            results.putObject("nearFreeRawRuns"),
                            List.of(DEFAULT_SIZE));
            StreamRun.Result ceiling =
                    ceilingRuns(kafka, cluster)
                            .median(settings.nearFreeModel(), DEFAULT_SIZE, 0, "(e)");
            StreamRun.Result ceilingSampled =
                    runs.median(
                            settings.nearFreeModel(),
                            DEFAULT_SIZE,
                            0,
                            "(e) with the default samples.band");
            results.put("ceilingWithDefaultSamplesPerSecond", ceilingSampled.perSecond());
            results.set("ceilingWithDefaultSamplesRunsPerSecond", ceilingSampled.runsJson());
            results.put("nearFreeRawPerSecond", free.best());
            results.put("nearFreeRawCpuMicrosPerReview", free.cpuMicros());
            results.put("ceilingPerSecond", ceiling.perSecond());
            results.set("ceilingRunsPerSecond", ceiling.runsJson());
            results.set("ceilingCpu", ceiling.cpuJson());

            ObjectNode ratios = results.putObject("ratios");
            double batchingGain = model.best() / model.single();
            ratios.put("dynamicOverRaw", dynamic.perSecond() / model.best());
            ratios.put("dynamicOverSingle", dynamic.perSecond() / single.perSecond());
            ratios.put("modelBatchingGain", batchingGain);
            ratios.put(
                    "shareOfBatchingGain", dynamic.perSecond() / single.perSecond() / batchingGain);
            printTable(model, dynamic, single, halfLoad, half, lowLoad, tenth, free, ceiling);
        }
        Files.createDirectories(settings.output());
        Json.mapper()
                .writer(SerializationFeature.INDENT_OUTPUT)
                .writeValue(settings.output().resolve("results.json").toFile(), results);
        BenchPlot.write(results, settings.output().resolve("bench.png"));
        out.println(
                "wrote "
                        + settings.output().resolve("results.json")
                        + ", bench.png and bench-delay.png");
        return results;
    }

    /**
     * The runs of (e): with {@code samples.band} 0, because every score of the near-free model lies
     * near 0.5 and the default band would also send nearly every review, text and all, to
     * review-samples — a cost a real model does not cause. (The run with the default band is
     * reported beside it.) A minute of warm-up runs first: a new model in the JVM.
     */
    private StreamRun ceilingRuns(EmbeddedKafka kafka, LocalCluster cluster) throws Exception {
        return warmRuns(
                kafka, cluster, settings.nearFreeModel(), Map.of(JobConfig.SAMPLES_BAND, "0"));
    }

    /** (e) alone, for profiling: the near-free model's raw figure and the job's ceiling. */
    private ObjectNode ceiling() throws Exception {
        ObjectNode results = Json.mapper().createObjectNode();
        RawModel free =
                rawModel(
                        settings.nearFreeModel(),
                        results.putObject("nearFreeRaw"),
                        results.putObject("nearFreeRawRuns"),
                        List.of(1, 8, DEFAULT_SIZE, 256));
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                LocalCluster cluster = LocalCluster.start(settings.parallelism())) {
            preloadBacklog(kafka);
            StreamRun.Result ceiling =
                    ceilingRuns(kafka, cluster)
                            .median(settings.nearFreeModel(), DEFAULT_SIZE, 0, "(e)");
            results.put("ceilingPerSecond", ceiling.perSecond());
            results.set("ceilingRunsPerSecond", ceiling.runsJson());
            results.set("ceilingCpu", ceiling.cpuJson());
            out.printf(
                    Locale.ROOT,
                    "(e) %.0f reviews/s; CPU per review %.0f µs (model alone %.0f µs):%n",
                    ceiling.perSecond(),
                    ceiling.cpuMicrosPerReview(),
                    free.cpuMicros());
            ceiling.cpuMicrosByGroup()
                    .forEach(
                            (group, micros) ->
                                    out.printf(Locale.ROOT, "    %-18s %7.1f%n", group, micros));
        }
        return results;
    }

    /** Every review of the run, preloaded into the broker's backlog topic. */
    private void preloadBacklog(EmbeddedKafka kafka) throws IOException {
        kafka.createTopics(Math.max(2, settings.parallelism()), List.of("bench-reviews"));
        preload(kafka, "bench-reviews");
    }

    /**
     * Runs of the job on the backlog with {@code model} and the {@code extra} job settings, after
     * unrecorded runs for {@link StreamRun#BACKLOG_WARM_UP_SECONDS}: every recorded run finds the
     * JIT and libtorch warm.
     */
    private StreamRun warmRuns(
            EmbeddedKafka kafka, LocalCluster cluster, Path model, Map<String, String> extra)
            throws Exception {
        StreamRun runs =
                new StreamRun(
                        kafka,
                        cluster,
                        "bench-reviews",
                        settings.reviews(),
                        settings.parallelism(),
                        out,
                        extra);
        long start = System.nanoTime();
        long until =
                start
                        + java.util.concurrent.TimeUnit.SECONDS.toNanos(
                                StreamRun.BACKLOG_WARM_UP_SECONDS);
        List<String> warmUp = new ArrayList<>();
        do {
            warmUp.add(
                    String.format(
                            Locale.ROOT,
                            "%.0f/s",
                            runs.backlog(model, DEFAULT_SIZE, 0).perSecond()));
        } while (System.nanoTime() < until);
        out.printf(
                Locale.ROOT,
                "    warm-up, unmeasured: %d runs in %.0f s (%s)%n",
                warmUp.size(),
                (System.nanoTime() - start) / 1e9,
                String.join(", ", warmUp));
        return runs;
    }

    /**
     * (b), then (f) and (d) at its tenth and half, for tuning latency without the whole run. Writes
     * {@code latency.json} beside (not over) the full run's results.
     */
    private ObjectNode latency() throws Exception {
        ObjectNode results = Json.mapper().createObjectNode();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                LocalCluster cluster = LocalCluster.start(settings.parallelism())) {
            preloadBacklog(kafka);
            StreamRun runs = warmRuns(kafka, cluster, settings.model(), Map.of());
            StreamRun.Result dynamic = runs.median(settings.model(), DEFAULT_SIZE, 0, "(b)");
            double half = dynamic.perSecond() / 2;
            double tenth = dynamic.perSecond() / 10;
            results.put("dynamicPerSecond", dynamic.perSecond());
            results.set("dynamicRunsPerSecond", dynamic.runsJson());
            // The light load first: the JIT compiles the live path while cores are free.
            results.set(
                    "lowLoad",
                    runs.live(
                                    settings.model(),
                                    tenth,
                                    DEFAULT_SIZE,
                                    0,
                                    settings.latencySeconds(),
                                    "(f) a tenth of (b)")
                            .latencyJson(tenth));
            results.set(
                    "halfLoad",
                    runs.live(
                                    settings.model(),
                                    half,
                                    DEFAULT_SIZE,
                                    0,
                                    settings.latencySeconds(),
                                    "(d) half load")
                            .latencyJson(half));
        }
        Files.createDirectories(settings.output());
        Json.mapper()
                .writer(SerializationFeature.INDENT_OUTPUT)
                .writeValue(settings.output().resolve("latency.json").toFile(), results);
        return results;
    }

    /** Passes of the model alone at each batch size, as (b) and (c) take three runs each. */
    static final int RAW_RUNS = 3;

    /** The model alone: throughput by batch size, and CPU per review at the best size. */
    private record RawModel(
            String version, double best, int bestSize, double single, double cpuMicros) {}

    /**
     * The model alone at each of {@code sizes}: {@link #RAW_RUNS} passes each, the sizes taken in
     * turn in every round (so a slow minute of this noisy machine does not fall on one size alone),
     * and each size's median pass kept — the figure the bound and the batching gain use, as (b) and
     * (c) keep their median run. Every pass is written to {@code into}'s sibling {@code rawRuns}.
     */
    private RawModel rawModel(Path model, ObjectNode into, ObjectNode runsInto, List<Integer> sizes)
            throws Exception {
        List<int[]> tokenized = new ArrayList<>();
        String version;
        try (SentimentScorer scorer = SentimentScorer.load(model, ai.djl.Device.cpu())) {
            version = scorer.modelVersion();
            for (LabeledText review : settings.reviews()) {
                tokenized.add(scorer.encoder().encode(review.text()));
            }
        }
        Map<Integer, List<RawThroughput.Measured>> passes = new java.util.LinkedHashMap<>();
        for (int round = 0; round < RAW_RUNS; round++) {
            for (int size : sizes) {
                List<int[]> sample =
                        size == 1
                                ? tokenized.subList(0, Math.min(1000, tokenized.size()))
                                : tokenized;
                passes.computeIfAbsent(size, s -> new ArrayList<>())
                        .add(RawThroughput.measure(model, sample, size, settings.parallelism()));
            }
        }
        double best = 0;
        int bestSize = 0;
        double single = 0;
        double cpu = 0;
        for (Map.Entry<Integer, List<RawThroughput.Measured>> entry : passes.entrySet()) {
            int size = entry.getKey();
            List<RawThroughput.Measured> sorted = new ArrayList<>(entry.getValue());
            sorted.sort(Comparator.comparingDouble(RawThroughput.Measured::perSecond));
            RawThroughput.Measured measured = sorted.get(sorted.size() / 2);
            into.put(String.valueOf(size), measured.perSecond());
            ArrayNode runs = runsInto.putArray(String.valueOf(size));
            entry.getValue().forEach(pass -> runs.add(pass.perSecond()));
            out.printf(
                    Locale.ROOT,
                    "    %s, batch %4d: %7.0f reviews/s, %.0f µs CPU per review"
                            + " (median of %s reviews/s, in order)%n",
                    version,
                    size,
                    measured.perSecond(),
                    measured.cpuMicrosPerReview(),
                    entry.getValue().stream()
                            .map(pass -> String.format(Locale.ROOT, "%.0f", pass.perSecond()))
                            .toList());
            if (measured.perSecond() > best) {
                best = measured.perSecond();
                bestSize = size;
                cpu = measured.cpuMicrosPerReview();
            }
            if (size == 1) {
                single = measured.perSecond();
            }
        }
        return new RawModel(version, best, bestSize, single, cpu);
    }

    private void sweepPoint(ArrayNode sweep, int size, long delay, StreamRun.Result result) {
        ObjectNode entry = sweep.addObject();
        entry.put("batchSize", size);
        entry.put("delayMs", delay);
        entry.put("perSecond", result.perSecond());
        entry.put("meanBatchSize", result.meanBatchSize());
        out.printf(
                Locale.ROOT,
                "    batch %4d, minimum delay %3d ms: %7.0f reviews/s, mean batch %.1f%n",
                size,
                delay,
                result.perSecond(),
                result.meanBatchSize());
    }

    private void preload(EmbeddedKafka kafka, String topic) {
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
            List<LabeledText> reviews = settings.reviews();
            for (int i = 0; i < reviews.size(); i++) {
                String id = "bench-" + i;
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(Review.of(id, reviews.get(i).text()))));
            }
            producer.flush();
        }
    }

    private void printTable(
            RawModel model,
            StreamRun.Result dynamic,
            StreamRun.Result single,
            StreamRun.Result half,
            double halfRate,
            StreamRun.Result low,
            double lowRate,
            RawModel free,
            StreamRun.Result ceiling) {
        double gain = model.best() / model.single();
        out.println();
        out.println("| measure | value | target |");
        out.println("|---|---|---|");
        out.printf(
                Locale.ROOT,
                "| (a) model alone, best batch (%d), %d scorer(s) | %.0f reviews/s (batch 1: %.0f) | the bound |%n",
                model.bestSize(),
                settings.parallelism(),
                model.best(),
                model.single());
        out.printf(
                Locale.ROOT,
                "| (b) job, adaptive batching (max %d) | %.0f reviews/s | |%n",
                DEFAULT_SIZE,
                dynamic.perSecond());
        out.printf(
                Locale.ROOT, "| (c) job, batch size 1 | %.0f reviews/s | |%n", single.perSecond());
        out.printf(
                Locale.ROOT, "| (b)/(a) | %.2f | ≥ 0.80 |%n", dynamic.perSecond() / model.best());
        out.printf(
                Locale.ROOT,
                "| (b)/(c) against the model's batching gain (%.1f) | %.1f = %.2f of it | ≥ 0.9 of it |%n",
                gain,
                dynamic.perSecond() / single.perSecond(),
                dynamic.perSecond() / single.perSecond() / gain);
        out.printf(
                Locale.ROOT,
                "| (d) latency at %.0f reviews/s, p50 / p95 / p99 | %d / %d / %d ms | p99 ≤ 100 ms |%n",
                halfRate,
                half.percentile(50),
                half.percentile(95),
                half.percentile(99));
        out.printf(
                Locale.ROOT,
                "| (e) pipeline ceiling, near-free model (alone: %.0f reviews/s) | %.0f reviews/s | ≥ 20,000 |%n",
                free.best(),
                ceiling.perSecond());
        out.printf(
                Locale.ROOT,
                "| (e) CPU per review: whole process / model alone | %.0f µs / %.0f µs | |%n",
                ceiling.cpuMicrosPerReview(),
                free.cpuMicros());
        out.printf(
                Locale.ROOT,
                "| (f) latency at %.0f reviews/s, p50 / p99 | %d / %d ms | ≤ 15 / ≤ 50 ms |%n",
                lowRate,
                low.percentile(50),
                low.percentile(99));
        out.println();
        out.println("(e) where the CPU of each review goes, µs per review:");
        for (Map.Entry<String, Double> group : ceiling.cpuMicrosByGroup().entrySet()) {
            out.printf(Locale.ROOT, "    %-18s %7.1f%n", group.getKey(), group.getValue());
        }
    }

    /** The job's settings of a run at one batch size and minimum delay. */
    static Map<String, String> jobSettings(Path model, int batchSize, long delayMs) {
        return Map.of(
                JobConfig.MODEL_PATH, model.toString(),
                JobConfig.BATCH_MAX_SIZE, String.valueOf(batchSize),
                JobConfig.BATCH_MAX_DELAY_MS, String.valueOf(delayMs));
    }

    static Comparator<StreamRun.Result> byThroughput() {
        return Comparator.comparingDouble(StreamRun.Result::perSecond);
    }
}
