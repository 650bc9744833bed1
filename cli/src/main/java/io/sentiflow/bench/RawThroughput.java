package io.sentiflow.bench;

import ai.djl.Device;
import io.sentiflow.model.SentimentScorer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The model alone: pre-tokenized reviews scored in length-sorted batches, no Kafka, no Flink. Like
 * the job, it runs {@code workers} scorers side by side, each on its own share of the reviews.
 */
final class RawThroughput {
    private RawThroughput() {}

    /**
     * The model's throughput and its CPU per review.
     *
     * @param perSecond reviews per second over all workers
     * @param cpuMicrosPerReview the process's CPU time per review while they scored (libtorch's own
     *     threads included)
     */
    record Measured(double perSecond, double cpuMicrosPerReview) {}

    /** Reviews per second over all workers at {@code batchSize}, and CPU per review. */
    static Measured measure(Path model, List<int[]> reviews, int batchSize, int workers)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try {
            List<Future<long[]>> elapsed = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                List<int[]> share = new ArrayList<>();
                for (int i = w; i < reviews.size(); i += workers) {
                    share.add(reviews.get(i));
                }
                share.sort(Comparator.comparingInt(ids -> ids.length));
                elapsed.add(pool.submit(() -> timeOneWorker(model, share, batchSize, os)));
            }
            long slowest = 0;
            long cpu = 0;
            for (Future<long[]> measured : elapsed) {
                slowest = Math.max(slowest, measured.get()[0]);
                cpu = Math.max(cpu, measured.get()[1]);
            }
            return new Measured(reviews.size() / (slowest / 1e9), cpu / 1e3 / reviews.size());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Elapsed nanoseconds of the timed pass, and the process's CPU nanoseconds over it (the workers
     * run side by side, so the largest of these is the whole pass's CPU).
     */
    private static long[] timeOneWorker(
            Path model,
            List<int[]> share,
            int batchSize,
            com.sun.management.OperatingSystemMXBean os)
            throws Exception {
        try (SentimentScorer scorer = SentimentScorer.load(model, Device.cpu())) {
            // Warm-up: one full pass, so the JIT and libtorch's allocator are where they stay.
            scoreAll(scorer, share, batchSize);
            long cpu = os.getProcessCpuTime();
            long start = System.nanoTime();
            scoreAll(scorer, share, batchSize);
            return new long[] {System.nanoTime() - start, os.getProcessCpuTime() - cpu};
        }
    }

    private static void scoreAll(SentimentScorer scorer, List<int[]> share, int batchSize)
            throws Exception {
        for (int from = 0; from < share.size(); from += batchSize) {
            scorer.score(share.subList(from, Math.min(share.size(), from + batchSize)));
        }
    }
}
