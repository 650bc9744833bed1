package io.sentiflow.cli;

import io.sentiflow.bench.Benchmark;
import io.sentiflow.model.data.ImdbDataset;
import io.sentiflow.model.data.LabeledText;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sentiflow bench}: throughput and latency of the model and the job, measured in one run.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Benchmark on real IMDB test reviews through an embedded broker and a local mini cluster:",
            "the model alone, the job with adaptive batching, the job one review at a time, latency at",
            "half and a tenth of the load, and the pipeline's ceiling with a near-free model."
        })
public final class BenchCommand implements Callable<Integer> {
    @Option(
            names = "--data",
            description = "IMDB folder (default: ./data/imdb, then ../shared/data/imdb).")
    Path data;

    @Option(
            names = "--model",
            defaultValue = "models/textcnn-demo",
            description =
                    "Model directory; trained as by the demo when missing (default: ${DEFAULT-VALUE}).")
    Path model;

    @Option(
            names = "--near-free-model",
            defaultValue = "models/textcnn-near-free",
            description =
                    "A near-free model for the pipeline ceiling (8-wide embeddings, 4 filters per"
                            + " width, 64 tokens); trained in seconds when missing (default:"
                            + " ${DEFAULT-VALUE}).")
    Path nearFreeModel;

    @Option(
            names = "--reviews",
            defaultValue = "10000",
            description = "IMDB test reviews per run (default: ${DEFAULT-VALUE}).")
    int reviews;

    @Option(
            names = "--parallelism",
            description =
                    "Job parallelism, and raw scorers side by side (default: the number of cores).")
    Integer parallelism;

    @Option(
            names = "--batch-sizes",
            split = ",",
            defaultValue = "1,8,32,64,128",
            description =
                    "Batch sizes of the sweep; must include 1 and 64 (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(
            names = "--delays",
            split = ",",
            defaultValue = "5,20,50",
            description =
                    "Minimum delays (ms, batch.max-delay-ms) of the sweep at batch 64; adaptive"
                            + " batching (0) always runs (default: ${DEFAULT-VALUE}).")
    List<Long> delays;

    @Option(
            names = "--latency-seconds",
            defaultValue = "20",
            description = "Length of the half-load latency run (default: ${DEFAULT-VALUE}).")
    int latencySeconds;

    @Option(
            names = "--ceiling-only",
            description =
                    "Measure only (e), the pipeline's ceiling with the near-free model (for profiling).")
    boolean ceilingOnly;

    @Option(
            names = "--latency-only",
            description =
                    "Measure only (b), then (d) and (f) at its half and a tenth; writes latency.json.")
    boolean latencyOnly;

    @Option(
            names = "--output",
            defaultValue = "bench",
            description = "Folder for results.json and bench.png (default: ${DEFAULT-VALUE}).")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (ceilingOnly && latencyOnly) {
            throw new IllegalArgumentException(
                    "--ceiling-only and --latency-only exclude each other");
        }
        if (!batchSizes.contains(1) || !batchSizes.contains(64)) {
            throw new IllegalArgumentException("--batch-sizes must include 1 and 64");
        }
        int workers =
                parallelism != null ? parallelism : Runtime.getRuntime().availableProcessors();
        // One libtorch thread per scorer unless told otherwise: scorers side by side beat one
        // scorer with many threads on small batches. libtorch reads this once, at engine start.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty(
                    "ai.djl.pytorch.num_threads",
                    String.valueOf(
                            Math.max(1, Runtime.getRuntime().availableProcessors() / workers)));
        }
        Path modelDirectory = DemoModel.ensure(model, Optional.ofNullable(data), 25_000, 2, 128);
        Path nearFree = DemoModel.ensureNearFree(nearFreeModel, Optional.ofNullable(data));
        List<LabeledText> sample =
                ImdbDataset.locate(Optional.ofNullable(data)).sample("test", reviews, 17);
        new Benchmark(
                        new Benchmark.Settings(
                                modelDirectory.toAbsolutePath(),
                                nearFree.toAbsolutePath(),
                                sample,
                                workers,
                                batchSizes,
                                delays,
                                latencySeconds,
                                output,
                                ceilingOnly
                                        ? Benchmark.Scope.CEILING
                                        : latencyOnly
                                                ? Benchmark.Scope.LATENCY
                                                : Benchmark.Scope.ALL),
                        System.out)
                .run();
        return 0;
    }
}
