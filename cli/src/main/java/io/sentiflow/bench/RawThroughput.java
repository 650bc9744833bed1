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

    /** Reviews per second over all workers at {@code batchSize}. */
    static double measure(Path model, List<int[]> reviews, int batchSize, int workers)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<Long>> elapsed = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                List<int[]> share = new ArrayList<>();
                for (int i = w; i < reviews.size(); i += workers) {
                    share.add(reviews.get(i));
                }
                share.sort(Comparator.comparingInt(ids -> ids.length));
                elapsed.add(pool.submit(() -> timeOneWorker(model, share, batchSize)));
            }
            long slowest = 0;
            for (Future<Long> nanos : elapsed) {
                slowest = Math.max(slowest, nanos.get());
            }
            return reviews.size() / (slowest / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long timeOneWorker(Path model, List<int[]> share, int batchSize)
            throws Exception {
        try (SentimentScorer scorer = SentimentScorer.load(model, Device.cpu())) {
            // Warm-up: one full pass, so the JIT and libtorch's allocator are where they stay.
            scoreAll(scorer, share, batchSize);
            long start = System.nanoTime();
            scoreAll(scorer, share, batchSize);
            return System.nanoTime() - start;
        }
    }

    private static void scoreAll(SentimentScorer scorer, List<int[]> share, int batchSize)
            throws Exception {
        for (int from = 0; from < share.size(); from += batchSize) {
            scorer.score(share.subList(from, Math.min(share.size(), from + batchSize)));
        }
    }
}
