package io.sentiflow.job;

import io.sentiflow.model.Vocabulary;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a scored batch becomes, on the task thread: a sentiment per review, a dead letter per review
 * the model could not score, a sample per uncertain review, a prediction for the label join, and
 * this subtask's health figures (the batch, each score, the shadow's agreement); at the end of a
 * health window, this subtask's partials and the samples of drifted versions.
 */
final class ScoredOutput {
    private static final Logger LOG = LoggerFactory.getLogger(ScoredOutput.class);

    /** Room for a sample record's key and headers. */
    static final int SAMPLE_KEY_ROOM = 2048;

    private final ScoringSettings.Results settings;
    private final double driftThreshold;
    private final SubtaskHealth health;
    private final int subtask;
    private final OperatorOutput out;
    private final Counter scored;
    private final Counter scoringErrors;
    private final Counter samplesTooLarge;
    private final Histogram latencyMillis;
    private final ThrottledLog shadowFailures = new ThrottledLog(60_000);

    ScoredOutput(
            ScoringSettings.Results settings,
            double driftThreshold,
            SubtaskHealth health,
            int subtask,
            OperatorOutput out,
            MetricGroup metrics) {
        this.settings = settings;
        this.driftThreshold = driftThreshold;
        this.health = health;
        this.subtask = subtask;
        this.out = out;
        this.scored = metrics.counter("reviewsScored");
        this.scoringErrors = metrics.counter("scoringErrors");
        this.samplesTooLarge = metrics.counter("samplesTooLarge");
        this.latencyMillis =
                metrics.histogram("latencyMillis", new DescriptiveStatisticsHistogram(1000));
    }

    /**
     * Writes a batch's result (not a fatal one); {@code now} is the scoring time, epoch ms, which
     * its sentiments and uncertain samples carry.
     */
    void write(Scorer.Result result, long now) {
        Batcher.Batch batch = result.batch();
        health.figures(batch.version())
                .addBatch(
                        batch.reviews().size(),
                        result.inferenceNanos() / 1_000_000,
                        result.deviceMemoryBytes());
        for (int i = 0; i < batch.reviews().size(); i++) {
            ReviewToScore review = batch.reviews().get(i);
            if (result.errors()[i] != null) {
                health.figures(batch.version()).failed++;
                reject(review.review(), result.errors()[i]);
            } else {
                emit(review, result.scores()[i], now);
            }
        }
        if (result.shadow() != null) {
            compareShadow(batch, result);
        }
    }

    private void emit(ReviewToScore item, float score, long now) {
        ParsedReview review = item.review();
        if (!Float.isFinite(score)) {
            health.figures(item.version()).failed++;
            reject(review, "the model returned a non-finite score");
            return;
        }
        scored.inc();
        long latency = Math.max(0, now - review.timestamp);
        latencyMillis.update(latency);
        int unknown = 0;
        for (int id : item.ids()) {
            unknown += id == Vocabulary.UNK ? 1 : 0;
        }
        health.figures(item.version())
                .addScored(score, latency, item.ids().length, unknown, review.label);
        boolean uncertain =
                settings.sampleBand() > 0 && Math.abs(score - 0.5) <= settings.sampleBand();
        boolean sampled =
                uncertain && sample(review, item.text(), score, item.version(), "uncertain", now);
        if (!uncertain) {
            health.drift(item.version(), 31L * subtask + now).offer(review, score);
        }
        if (settings.labelJoin().waitsForLabel(review.id, review.label, sampled)) {
            out.side(
                    ScoreBatch.AWAITING_LABEL,
                    new Prediction(review.id, item.version(), score >= 0.5));
        }
        out.sentiment(Sentiment.of(review.id, score, item.version(), now, latency));
    }

    private void compareShadow(Batcher.Batch batch, Scorer.Result result) {
        Scorer.Shadow shadow = result.shadow();
        if (shadow.scores() == null) {
            // At light load a batch is one review: at most one line a minute, not one per review.
            long leftOut = shadowFailures.occurred(ThrottledLog.nowMs());
            if (leftOut >= 0) {
                LOG.warn(
                        "the shadow {} failed on a batch of {}: {}{}",
                        shadow.version(),
                        batch.reviews().size(),
                        Sanitized.text(String.valueOf(shadow.error()), 500),
                        ThrottledLog.andMore(leftOut));
            }
            return;
        }
        int compared = 0;
        int agreed = 0;
        double difference = 0;
        for (int i = 0; i < shadow.scores().length; i++) {
            if (result.errors()[i] != null) {
                continue;
            }
            float sent = result.scores()[i];
            float other = shadow.scores()[i];
            compared++;
            agreed += (sent >= 0.5f) == (other >= 0.5f) ? 1 : 0;
            difference += Math.abs(sent - other);
        }
        HealthFigures figures = health.figures(shadow.version());
        figures.addBatch(
                batch.reviews().size(),
                shadow.inferenceNanos() / 1_000_000,
                shadow.deviceMemoryBytes());
        figures.addShadow(batch.version(), compared, agreed, difference);
    }

    /** Sends a review to the samples; false when it would not fit in a Kafka record. */
    private boolean sample(
            ParsedReview review,
            String text,
            float score,
            String version,
            String reason,
            long now) {
        ReviewSample sample = new ReviewSample(review.id, text, score, version, now, reason);
        // JSON escaping can make a sample several times its review's size: one that would not fit
        // in a Kafka record is counted, not sent (its review was scored as usual).
        // (A character takes at most 6 bytes of JSON: most samples need no check.)
        if (text.length() > (settings.maxRecordBytes() - 4 * SAMPLE_KEY_ROOM) / 6
                && Json.toBytes(sample).length + SAMPLE_KEY_ROOM > settings.maxRecordBytes()) {
            samplesTooLarge.inc();
            return false;
        }
        out.side(ScoreBatch.SAMPLES, sample);
        return true;
    }

    /**
     * A review the model could not score. The record's own bytes stayed at the source, so the dead
     * letter carries the review as parsed, written again as {@code review.v1}.
     */
    private void reject(ParsedReview review, String message) {
        scoringErrors.inc();
        KafkaRecord source =
                new KafkaRecord(
                        review.topic,
                        review.partition,
                        review.offset,
                        review.timestamp,
                        Json.toBytes(
                                new Review(review.id, review.text(), review.label, null, null)));
        out.side(
                DeadLetters.TAG,
                settings.deadLetters()
                        .letter(
                                source,
                                DeadLetter.Reason.SCORING_ERROR,
                                message + " (originalValue: the review as parsed)"));
    }

    /**
     * Ends this subtask's health window: sends its figures, and the sample of every version whose
     * scores drifted past the drift threshold from its reference histogram, and starts the next.
     */
    void closeWindow(long nextStart, Map<String, long[]> references) {
        SubtaskHealth.Closed closed = health.close(nextStart, references, driftThreshold);
        for (HealthPartial partial : closed.partials()) {
            out.side(ScoreBatch.HEALTH, partial);
        }
        for (SubtaskHealth.DriftSample drifted : closed.samples()) {
            sample(
                    drifted.review(),
                    drifted.review().text(),
                    drifted.score(),
                    drifted.version(),
                    "drift",
                    System.currentTimeMillis());
        }
    }
}
