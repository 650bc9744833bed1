package io.sentiflow.job;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ReviewSample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Scores reviews with the TextCNN in micro-batches: a batch is scored when it holds {@code maxSize}
 * reviews or when its oldest review has waited {@code maxDelayMs}, whichever comes first. Reviews
 * of similar length share a batch ({@link PendingBatches}), so padding stays small.
 *
 * <p>Why a custom operator rather than async I/O: a flush on delay needs processing-time timers on
 * a non-keyed stream, and scoring on the task thread keeps at most {@code maxSize} reviews per
 * length class in flight, so backpressure reaches the Kafka source instead of memory growing. All
 * open batches are scored before every checkpoint barrier, so no checkpoint holds a buffered
 * review: after a failure, everything not yet scored is replayed from Kafka. The model is loaded
 * once per parallel instance in {@link #open()} onto its device and closed in {@link #close()}. A
 * batch that fails is retried review by review; a review that still fails is dead-lettered.
 */
public final class ScoreBatch extends AbstractStreamOperator<ScoredReview>
        implements OneInputStreamOperator<TokenizedReview, ScoredReview>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** One record per scored batch, for model health. */
    public static final OutputTag<BatchStats> BATCHES = new OutputTag<>("batches") {};

    /** Reviews scored within {@code sampleBand} of 0.5, for labelling. */
    public static final OutputTag<ReviewSample> SAMPLES = new OutputTag<>("samples") {};

    private final String modelPath;
    private final String device;
    private final int maxSize;
    private final long maxDelayMs;
    private final int cpuThreads;
    private final double sampleBand;

    private transient SentimentScorer scorer;
    private transient String deviceName;
    private transient PendingBatches pending;
    private transient ScheduledFuture<?>[] delayTimers;
    private transient Counter scored;
    private transient Counter scoringErrors;
    private transient Histogram batchSizes;
    private transient Histogram waitMillis;
    private transient Histogram inferenceMillis;
    private transient Histogram latencyMillis;

    public ScoreBatch(String modelPath, String device, int maxSize, long maxDelayMs) {
        this(modelPath, device, maxSize, maxDelayMs, 0);
    }

    /**
     * @param cpuThreads intra-op threads of the PyTorch engine on the CPU; 0 keeps DJL's default.
     *     libtorch reads it once per JVM, when the engine starts, so the first model on a
     *     TaskManager decides.
     */
    public ScoreBatch(
            String modelPath, String device, int maxSize, long maxDelayMs, int cpuThreads) {
        this(modelPath, device, maxSize, maxDelayMs, cpuThreads, 0);
    }

    /**
     * @param sampleBand reviews whose score is within this of 0.5 also go to {@link #SAMPLES}; 0
     *     samples none
     */
    public ScoreBatch(
            String modelPath,
            String device,
            int maxSize,
            long maxDelayMs,
            int cpuThreads,
            double sampleBand) {
        this.modelPath = modelPath;
        this.device = device;
        this.maxSize = maxSize;
        this.maxDelayMs = maxDelayMs;
        this.cpuThreads = cpuThreads;
        this.sampleBand = sampleBand;
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (cpuThreads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(cpuThreads));
        }
        List<String> gpus = new ArrayList<>();
        for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos("gpu")) {
            info.getProperty("index").ifPresent(gpus::add);
        }
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        OptionalInt gpu = DeviceAssignment.gpuIndex(gpus, subtask);
        Device chosen = Devices.select(device, gpu.orElse(subtask));
        scorer = SentimentScorer.load(Path.of(modelPath), chosen);
        deviceName = chosen.toString();
        LOG.info("subtask {} scores with {} on {}", subtask, scorer.modelVersion(), chosen);
        pending = new PendingBatches(scorer.config().maxLength());
        delayTimers = new ScheduledFuture<?>[pending.classCount()];
        scored = getMetricGroup().counter("reviewsScored");
        scoringErrors = getMetricGroup().counter("scoringErrors");
        batchSizes = getMetricGroup().histogram("batchSize", histogram());
        waitMillis = getMetricGroup().histogram("batchWaitMillis", histogram());
        inferenceMillis = getMetricGroup().histogram("inferenceMillis", histogram());
        getMetricGroup().gauge("inFlightReviews", (Gauge<Integer>) () -> pending.total());
        latencyMillis = getMetricGroup().histogram("latencyMillis", histogram());
    }

    private static DescriptiveStatisticsHistogram histogram() {
        return new DescriptiveStatisticsHistogram(1000);
    }

    @Override
    public void processElement(StreamRecord<TokenizedReview> element) throws Exception {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        int lengthClass = pending.add(element.getValue(), now);
        if (pending.size(lengthClass) >= maxSize) {
            flush(lengthClass);
        } else if (pending.size(lengthClass) == 1) {
            delayTimers[lengthClass] =
                    getProcessingTimeService()
                            .registerTimer(
                                    now + maxDelayMs,
                                    time -> {
                                        delayTimers[lengthClass] = null;
                                        flush(lengthClass);
                                    });
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flushAll();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() {
        flushAll();
    }

    @Override
    public void finish() throws Exception {
        flushAll();
        super.finish();
    }

    private void flushAll() {
        for (int c = 0; c < pending.classCount(); c++) {
            flush(c);
        }
    }

    private void flush(int lengthClass) {
        if (pending.size(lengthClass) == 0) {
            return;
        }
        if (delayTimers[lengthClass] != null) {
            // The batch leaves before its delay ran out: its timer must not flush the next one.
            delayTimers[lengthClass].cancel(false);
            delayTimers[lengthClass] = null;
        }
        long startMillis = getProcessingTimeService().getCurrentProcessingTime();
        waitMillis.update(Math.max(0, startMillis - pending.oldestArrival(lengthClass)));
        List<TokenizedReview> batch = pending.take(lengthClass);
        batchSizes.update(batch.size());
        long start = System.nanoTime();
        float[] scores;
        try {
            scores = scorer.score(batch.stream().map(r -> r.tokenIds).toList());
        } catch (Exception batchFailure) {
            LOG.warn(
                    "a batch of {} failed ({}); scoring its reviews one by one",
                    batch.size(),
                    batchFailure.toString());
            scoreOneByOne(batch);
            return;
        }
        long modelMillis = (System.nanoTime() - start) / 1_000_000;
        inferenceMillis.update(modelMillis);
        output.collect(
                BATCHES,
                new StreamRecord<>(
                        new BatchStats(scorer.modelVersion(), batch.size(), modelMillis)));
        long now = System.currentTimeMillis();
        for (int i = 0; i < batch.size(); i++) {
            emit(batch.get(i), scores[i], now);
        }
    }

    private void scoreOneByOne(List<TokenizedReview> batch) {
        for (TokenizedReview review : batch) {
            try {
                emit(review, scorer.score(List.of(review.tokenIds))[0], System.currentTimeMillis());
            } catch (Exception e) {
                reject(review, "scoring failed: " + e);
            }
        }
    }

    private void emit(TokenizedReview review, float score, long now) {
        if (!Float.isFinite(score)) {
            reject(review, "the model returned a non-finite score");
            return;
        }
        scored.inc();
        long latency = Math.max(0, now - review.source.timestamp);
        latencyMillis.update(latency);
        ScoredReview result = new ScoredReview();
        result.reviewId = review.id;
        result.score = score;
        result.modelVersion = scorer.modelVersion();
        result.device = deviceName;
        result.scoredAt = now;
        result.latencyMs = latency;
        result.label = review.label;
        result.tokens = review.tokenIds.length;
        for (int id : review.tokenIds) {
            result.unknownTokens += id == Vocabulary.UNK ? 1 : 0;
        }
        output.collect(new StreamRecord<>(result));
        if (sampleBand > 0 && Math.abs(score - 0.5) <= sampleBand) {
            // The text is read back from the original record only for the few reviews sampled.
            String text = Json.review(review.source.value).text();
            output.collect(
                    SAMPLES,
                    new StreamRecord<>(
                            new ReviewSample(
                                    review.id,
                                    text,
                                    score,
                                    result.modelVersion,
                                    now,
                                    "uncertain")));
        }
    }

    private void reject(TokenizedReview review, String message) {
        scoringErrors.inc();
        output.collect(
                DeadLetters.TAG,
                new StreamRecord<>(
                        DeadLetters.of(review.source, DeadLetter.Reason.SCORING_ERROR, message)));
    }

    @Override
    public void close() throws Exception {
        try {
            if (scorer != null) {
                scorer.close();
                scorer = null;
            }
        } finally {
            super.close();
        }
    }
}
