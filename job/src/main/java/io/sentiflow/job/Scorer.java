package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.flink.api.common.operators.MailboxExecutor;

/**
 * A scoring subtask's scorer: one thread, the only one that runs the subtask's models (one
 * predictor per thread, as DJL requires), scoring one batch at a time while the task thread keeps
 * parsing, routing and batching. Each result re-enters the task through its mailbox, so everything
 * else the operator does stays on the task thread.
 *
 * <p>A batch that fails is scored again review by review; a review that still fails carries its
 * error. The shadow, when there is one, scores the same batch after it; its scores are only
 * compared. Anything worse than an exception (an {@link Error}) is handed back too and fails the
 * task there.
 */
final class Scorer implements AutoCloseable {
    /** What one batch produced. */
    record Result(
            Batcher.Batch batch,
            float[] scores,
            String[] errors,
            long inferenceNanos,
            Long deviceMemoryBytes,
            Shadow shadow,
            Throwable fatal) {}

    /**
     * The shadow's scores of the same batch; null scores when it failed.
     *
     * @param version the shadow version
     * @param error why it failed (the deepest cause's class and message), or null
     */
    record Shadow(
            String version,
            float[] scores,
            long inferenceNanos,
            Long deviceMemoryBytes,
            String error) {}

    private final ExecutorService thread;
    private final MailboxExecutor mailbox;
    private boolean busy;

    Scorer(int subtask, MailboxExecutor mailbox) {
        this.mailbox = mailbox;
        this.thread =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread t = new Thread(runnable, "sentiflow-scorer-" + subtask);
                            t.setDaemon(true);
                            return t;
                        });
    }

    /** Whether a batch is being scored; read on the task thread only. */
    boolean busy() {
        return busy;
    }

    /**
     * Scores a batch on the scorer thread; {@code done} runs on the task thread, through the
     * mailbox. One batch at a time: call only when not {@link #busy()}.
     */
    void submit(Batcher.Batch batch, LoadedModel model, LoadedModel shadow, Consumer<Result> done) {
        if (busy) {
            throw new IllegalStateException("the scorer takes one batch at a time");
        }
        busy = true;
        thread.execute(
                () -> {
                    Result result = score(batch, model, shadow);
                    try {
                        mailbox.execute(
                                () -> {
                                    busy = false;
                                    done.accept(result);
                                },
                                "scored batch of %d",
                                batch.reviews().size());
                    } catch (RejectedExecutionException closing) {
                        // The task is shutting down: nothing waits for this batch any more.
                    }
                });
    }

    static Result score(Batcher.Batch batch, LoadedModel model, LoadedModel shadow) {
        try {
            List<int[]> ids = new ArrayList<>(batch.reviews().size());
            for (ReviewToScore review : batch.reviews()) {
                ids.add(review.ids());
            }
            long start = System.nanoTime();
            float[] scores;
            String[] errors = new String[ids.size()];
            try {
                scores = model.score(ids);
            } catch (Exception batchFailure) {
                scores = new float[ids.size()];
                for (int i = 0; i < ids.size(); i++) {
                    try {
                        scores[i] = model.score(List.of(ids.get(i)))[0];
                    } catch (Exception e) {
                        errors[i] = "scoring failed: " + e;
                    }
                }
            }
            long inference = System.nanoTime() - start;
            Shadow shadowResult = shadow == null ? null : shadow(shadow, batch);
            return new Result(
                    batch,
                    scores,
                    errors,
                    inference,
                    model.deviceMemoryBytes(),
                    shadowResult,
                    null);
        } catch (Throwable fatal) {
            return new Result(batch, null, null, 0, null, null, fatal);
        }
    }

    /** The shadow scores the batch in its own vocabulary: its ids are made here, off the task. */
    private static Shadow shadow(LoadedModel shadow, Batcher.Batch batch) {
        long start = System.nanoTime();
        try {
            List<int[]> ids = new ArrayList<>(batch.reviews().size());
            for (ReviewToScore review : batch.reviews()) {
                ids.add(shadow.encode(review.text()));
            }
            float[] scores = shadow.score(ids);
            return new Shadow(
                    shadow.version(),
                    scores,
                    System.nanoTime() - start,
                    shadow.deviceMemoryBytes(),
                    null);
        } catch (Exception e) {
            Throwable cause = e;
            for (int depth = 0; depth < 16 && cause.getCause() != null; depth++) {
                cause = cause.getCause();
            }
            return new Shadow(
                    shadow.version(), null, System.nanoTime() - start, null, cause.toString());
        }
    }

    /** Stops the thread; a batch on the device finishes first (at most a few seconds). */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
