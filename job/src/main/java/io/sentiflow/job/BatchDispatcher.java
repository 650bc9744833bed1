package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * Hands a subtask's waiting reviews to its scorer, on the task thread: whenever the scorer is free
 * it gets the next batch the {@link Batcher} lets go; a batch held by a minimum or load delay
 * leaves on a timer; a result comes back through the mailbox, goes to {@code scored}, and the next
 * batch leaves. It bounds what waits ({@link #awaitRoom}), scores everything on demand ({@link
 * #drain}) and keeps a checkpoint's share of waiting text under a bound ({@link #trimTo}).
 */
final class BatchDispatcher implements AutoCloseable {
    /** The models a batch is scored with. */
    interface Models {
        LoadedModel model(String version);

        /** The shadow that also scores batches of {@code version}, or null. */
        LoadedModel shadowOf(String version);
    }

    private final ScoringSettings.Batching settings;
    private final Batcher batcher;
    private final Scorer scorer;
    private final ScorerLoad load;
    private final Models models;
    private final ProcessingTimeService time;
    private final MailboxExecutor mailbox;
    private final Consumer<Scorer.Result> scored;
    private final Histogram batchSizes;
    private final Histogram waitMillis;
    private final Histogram inferenceMillis;

    /** The batch on the scorer, until its result is back; null when the scorer is free. */
    private Batcher.Batch onScorer;

    /** The deadline of the latest delay timer set, or {@code Long.MAX_VALUE} when none waits. */
    private long delayTimerDeadline = Long.MAX_VALUE;

    BatchDispatcher(
            ScoringSettings.Batching settings,
            Scorer scorer,
            Models models,
            ProcessingTimeService time,
            MailboxExecutor mailbox,
            MetricGroup metrics,
            Consumer<Scorer.Result> scored) {
        this.settings = settings;
        this.batcher =
                new Batcher(settings.maxSize(), settings.maxDelayMs(), settings.sortWindow());
        this.scorer = scorer;
        this.load = new ScorerLoad(System.nanoTime());
        this.models = models;
        this.time = time;
        this.mailbox = mailbox;
        this.scored = scored;
        this.batchSizes = metrics.histogram("batchSize", histogram());
        this.waitMillis = metrics.histogram("batchWaitMillis", histogram());
        this.inferenceMillis = metrics.histogram("inferenceMillis", histogram());
        metrics.gauge("inFlightReviews", (Gauge<Integer>) batcher::size);
    }

    private static DescriptiveStatisticsHistogram histogram() {
        return new DescriptiveStatisticsHistogram(1000);
    }

    /** Queues a review; {@link #dispatch} hands the scorer a batch. */
    void add(ReviewToScore review) {
        batcher.add(review);
    }

    /**
     * Backpressure: while {@code batch.max-pending} reviews wait, runs the mailbox (the scorer's
     * results free room), so the task takes no more input.
     */
    void awaitRoom() throws InterruptedException {
        while (batcher.size() >= settings.maxPending()) {
            mailbox.yield();
        }
    }

    /** Hands the scorer its next batch when it is free; {@code force} ignores the minimum delay. */
    void dispatch(boolean force) {
        dispatch(force, settings.maxSize());
    }

    /** As {@link #dispatch(boolean)}, with at most {@code limit} reviews. */
    private void dispatch(boolean force, int limit) {
        if (scorer.busy() || batcher.size() == 0) {
            return;
        }
        long now = time.getCurrentProcessingTime();
        Batcher.Batch batch = batcher.next(now, force, limit);
        if (batch == null) {
            scheduleDelayTimer();
            return;
        }
        waitMillis.update(Math.max(0, now - batch.oldestArrival()));
        batchSizes.update(batch.reviews().size());
        onScorer = batch;
        scorer.submit(
                batch,
                models.model(batch.version()),
                models.shadowOf(batch.version()),
                this::onScored);
    }

    /**
     * With a minimum delay or a load delay, a timer lets the oldest queue go once it has waited
     * long enough. A timer set already stands unless the deadline came earlier (the load delay
     * ended): then an earlier one is set beside it, and only the latest-set timer clears the
     * deadline.
     */
    private void scheduleDelayTimer() {
        long deadline = batcher.nextDeadline();
        if (deadline >= delayTimerDeadline) {
            return;
        }
        delayTimerDeadline = deadline;
        time.registerTimer(
                deadline,
                now -> {
                    if (deadline == delayTimerDeadline) {
                        delayTimerDeadline = Long.MAX_VALUE;
                    }
                    dispatch(false);
                });
    }

    /** A batch came back from the scorer (on the task thread). */
    private void onScored(Scorer.Result result) {
        onScorer = null;
        if (result.fatal() != null) {
            throw new IllegalStateException("the scorer failed", result.fatal());
        }
        long busy =
                result.inferenceNanos()
                        + (result.shadow() == null ? 0 : result.shadow().inferenceNanos());
        batcher.loadDelay(load.record(busy, System.nanoTime()) ? settings.loadDelayMs() : 0);
        inferenceMillis.update(result.inferenceNanos() / 1_000_000);
        scored.accept(result);
        dispatch(false);
    }

    /** Scores everything waiting and waits for the scorer. */
    void drain() throws InterruptedException {
        while (batcher.size() > 0 || scorer.busy()) {
            if (scorer.busy()) {
                mailbox.yield();
            } else {
                dispatch(true);
            }
        }
    }

    /**
     * Scores batches until at most {@code maxTextBytes} of text waits or is on the scorer; each
     * batch only about as large as the excess needs, so a checkpoint barrier waits no longer than
     * it must.
     */
    void trimTo(long maxTextBytes) throws InterruptedException {
        while (textBytes() > maxTextBytes) {
            if (scorer.busy()) {
                mailbox.yield();
            } else if (batcher.size() == 0) {
                // Not busy means nothing on the scorer: the bytes cannot come from nowhere.
                throw new IllegalStateException("waiting text counted with nothing waiting");
            } else {
                long excess = batcher.textBytes() - maxTextBytes;
                long average = Math.max(1, batcher.textBytes() / batcher.size());
                dispatch(true, (int) Math.min(settings.maxSize(), excess / average + 1));
            }
        }
    }

    /** The text bytes waiting and on the scorer: what a checkpoint would keep now. */
    long textBytes() {
        return batcher.textBytes() + (onScorer == null ? 0 : onScorer.textBytes());
    }

    /** The reviews on the scorer, then those waiting: what a checkpoint keeps. */
    List<ParsedReview> inFlight() {
        List<ParsedReview> reviews = new ArrayList<>(batcher.size() + settings.maxSize());
        if (onScorer != null) {
            onScorer.reviews().forEach(review -> reviews.add(review.review()));
        }
        batcher.waiting().forEach(review -> reviews.add(review.review()));
        return reviews;
    }

    /** Drops the queues of a version no longer loaded. */
    void forget(String version) {
        batcher.forget(version);
    }

    /** Reviews waiting for the scorer. */
    int waiting() {
        return batcher.size();
    }

    /** Whether a batch is on the scorer. */
    boolean busy() {
        return scorer.busy();
    }

    /** Whether all that waits waits only for a delay's timer. */
    boolean waitsForDelay() {
        return !scorer.busy() && delayTimerDeadline != Long.MAX_VALUE;
    }

    ScorerLoad load() {
        return load;
    }

    @Override
    public void close() {
        scorer.close();
    }
}
