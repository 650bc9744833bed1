package io.sentiflow.job;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Sentiment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Scores reviews with the TextCNN in micro-batches: a batch is scored when it holds {@code maxSize}
 * reviews or when its oldest review has waited {@code maxDelayMs}, whichever comes first.
 *
 * <p>A custom operator, because a flush on delay needs processing-time timers on a non-keyed
 * stream. The buffer is flushed before every checkpoint barrier, so no checkpoint holds a
 * half-built batch: after a failure, everything not yet scored is replayed from Kafka. The model is
 * loaded once per parallel instance in {@link #open()} onto its device and closed in {@link
 * #close()}. A batch that fails is retried review by review, so one bad review cannot sink the
 * others; a review that still fails is dead-lettered.
 */
public final class ScoreBatch extends AbstractStreamOperator<Sentiment>
        implements OneInputStreamOperator<TokenizedReview, Sentiment>,
                BoundedOneInput,
                ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;

    private final String modelPath;
    private final String device;
    private final int maxSize;
    private final long maxDelayMs;

    private transient SentimentScorer scorer;
    private transient List<TokenizedReview> buffer;
    private transient ScheduledFuture<?> delayTimer;
    private transient Counter scored;
    private transient Counter scoringErrors;
    private transient Histogram batchSizes;
    private transient Histogram inferenceMillis;

    public ScoreBatch(String modelPath, String device, int maxSize, long maxDelayMs) {
        this.modelPath = modelPath;
        this.device = device;
        this.maxSize = maxSize;
        this.maxDelayMs = maxDelayMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        List<String> gpus = new ArrayList<>();
        for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos("gpu")) {
            info.getProperty("index").ifPresent(gpus::add);
        }
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        OptionalInt gpu = DeviceAssignment.gpuIndex(gpus, subtask);
        Device chosen = Devices.select(device, gpu.orElse(subtask));
        scorer = SentimentScorer.load(Path.of(modelPath), chosen);
        LOG.info("subtask {} scores with {} on {}", subtask, scorer.modelVersion(), chosen);
        buffer = new ArrayList<>(maxSize);
        scored = getMetricGroup().counter("reviewsScored");
        scoringErrors = getMetricGroup().counter("scoringErrors");
        batchSizes =
                getMetricGroup().histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        inferenceMillis =
                getMetricGroup()
                        .histogram("inferenceMillis", new DescriptiveStatisticsHistogram(1000));
    }

    @Override
    public void processElement(StreamRecord<TokenizedReview> element) throws Exception {
        buffer.add(element.getValue());
        if (buffer.size() >= maxSize) {
            flush();
        } else if (buffer.size() == 1) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            delayTimer = getProcessingTimeService().registerTimer(now + maxDelayMs, this);
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        delayTimer = null;
        flush();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    private void flush() {
        if (buffer.isEmpty()) {
            return;
        }
        if (delayTimer != null) {
            // The batch leaves before its delay ran out: its timer must not flush the next one.
            delayTimer.cancel(false);
            delayTimer = null;
        }
        List<TokenizedReview> batch = buffer;
        buffer = new ArrayList<>(maxSize);
        batchSizes.update(batch.size());
        long start = System.nanoTime();
        float[] scores;
        try {
            scores = scorer.score(batch.stream().map(r -> r.tokenIds).toList());
        } catch (Exception batchFailure) {
            LOG.warn(
                    "batch of {} failed ({}); scoring its reviews one by one",
                    batch.size(),
                    batchFailure.toString());
            scoreOneByOne(batch);
            return;
        }
        inferenceMillis.update((System.nanoTime() - start) / 1_000_000);
        long now = System.currentTimeMillis();
        for (int i = 0; i < batch.size(); i++) {
            emit(batch.get(i), scores[i], now);
        }
    }

    private void scoreOneByOne(List<TokenizedReview> batch) {
        for (TokenizedReview review : batch) {
            try {
                float score = scorer.score(List.of(review.tokenIds))[0];
                emit(review, score, System.currentTimeMillis());
            } catch (Exception e) {
                scoringErrors.inc();
                output.collect(
                        DeadLetters.TAG,
                        new StreamRecord<>(
                                DeadLetters.of(
                                        review.source,
                                        DeadLetter.Reason.SCORING_ERROR,
                                        "scoring failed: " + e)));
            }
        }
    }

    private void emit(TokenizedReview review, float score, long now) {
        if (!Float.isFinite(score)) {
            scoringErrors.inc();
            output.collect(
                    DeadLetters.TAG,
                    new StreamRecord<>(
                            DeadLetters.of(
                                    review.source,
                                    DeadLetter.Reason.SCORING_ERROR,
                                    "model returned a non-finite score")));
            return;
        }
        scored.inc();
        long latency = Math.max(0, now - review.source.timestamp);
        output.collect(
                new StreamRecord<>(
                        Sentiment.of(review.id, score, scorer.modelVersion(), now, latency)));
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
