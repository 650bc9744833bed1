package io.sentiflow.job;

import io.sentiflow.schemas.Labels;
import io.sentiflow.schemas.ModelHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** One model version's figures over one window; plain Java, no Flink. */
final class HealthAccumulator {
    static final int BINS = 10;

    /** The most model events one record carries; later ones are only counted. */
    static final int MAX_EVENTS = 50;

    /** Event messages are cut to this many characters. */
    static final int MAX_EVENT_MESSAGE = 500;

    /** When a window is flagged. */
    record Thresholds(double drift, double errorRate, long p99LatencyMs)
            implements java.io.Serializable {}

    private final String modelVersion;
    private String device;
    private long scored;
    private long positives;
    private double scoreSum;
    private final long[] histogram = new long[BINS];
    private final Histogram latency = new Histogram(3_600_000L, 3);
    private long batches;
    private long batchSizeSum;
    private int batchSizeMax;
    private final Histogram inference = new Histogram(600_000L, 3);
    private long tokens;
    private long unknownTokens;
    private long truePositives;
    private long falsePositives;
    private long trueNegatives;
    private long falseNegatives;
    private Long deviceMemoryBytes;
    private final List<ModelHealth.ModelEvent> events = new ArrayList<>();
    private long eventsDropped;
    private final java.util.Set<String> shadowComparedWith = new java.util.TreeSet<>();
    private long shadowCompared;
    private long shadowAgreed;
    private double shadowDifference;

    HealthAccumulator(String modelVersion) {
        this.modelVersion = modelVersion;
    }

    void add(ScoredReview review) {
        device = review.device;
        scored++;
        boolean positive = review.score >= 0.5;
        positives += positive ? 1 : 0;
        scoreSum += review.score;
        histogram[bin(review.score)]++;
        latency.recordValue(
                Math.min(latency.getHighestTrackableValue(), Math.max(0, review.latencyMs)));
        tokens += review.tokens;
        unknownTokens += review.unknownTokens;
        if (review.label != null) {
            addLabelled(positive, Labels.POSITIVE.equals(review.label));
        }
    }

    /** A prediction with its true label, from the review itself or from later feedback. */
    void addLabelled(boolean predicted, boolean actual) {
        if (predicted && actual) truePositives++;
        else if (predicted) falsePositives++;
        else if (actual) falseNegatives++;
        else trueNegatives++;
    }

    /** The score histogram bin of a score: [0, 0.1) … [0.9, 1]. */
    static int bin(double score) {
        return Math.min(BINS - 1, Math.max(0, (int) (score * BINS)));
    }

    void add(ModelEvent event) {
        if (device == null) {
            device = event.device;
        }
        if (events.size() >= MAX_EVENTS) {
            eventsDropped++;
            return;
        }
        String message =
                event.message != null && event.message.length() > MAX_EVENT_MESSAGE
                        ? event.message.substring(0, MAX_EVENT_MESSAGE - 1) + "…"
                        : event.message;
        events.add(
                new ModelHealth.ModelEvent(
                        event.type.name(),
                        event.commandId,
                        event.issuedBy,
                        event.subtask,
                        event.device,
                        message,
                        event.at));
    }

    void add(ShadowStats shadow) {
        shadowComparedWith.add(shadow.primaryVersion);
        shadowCompared += shadow.compared;
        shadowAgreed += shadow.agreed;
        shadowDifference += shadow.absoluteDifferenceSum;
    }

    void add(BatchStats batch) {
        if (batch.deviceMemoryBytes != null) {
            deviceMemoryBytes =
                    deviceMemoryBytes == null
                            ? batch.deviceMemoryBytes
                            : Math.max(deviceMemoryBytes, batch.deviceMemoryBytes);
        }
        batches++;
        batchSizeSum += batch.size;
        batchSizeMax = Math.max(batchSizeMax, batch.size);
        inference.recordValue(
                Math.min(inference.getHighestTrackableValue(), Math.max(0, batch.inferenceMillis)));
    }

    /**
     * The window's record; {@code reference} is the training score histogram, or null; {@code
     * routing} the job's routing at the window's end, or null.
     */
    ModelHealth toRecord(
            long start,
            long end,
            Map<String, Long> deadLetters,
            long[] reference,
            Double referenceOov,
            Thresholds thresholds,
            RoutingTable routing) {
        double seconds = Math.max(1e-3, (end - start) / 1000.0);
        long labelled = truePositives + falsePositives + trueNegatives + falseNegatives;
        Double drift =
                reference == null || scored == 0
                        ? null
                        : populationStabilityIndex(histogram, reference);
        ModelHealth.Latency latencyMs =
                new ModelHealth.Latency(
                        latency.getValueAtPercentile(50),
                        latency.getValueAtPercentile(95),
                        latency.getValueAtPercentile(99),
                        latency.getMaxValue());
        long errors = deadLetters.values().stream().mapToLong(Long::longValue).sum();
        List<String> alerts = new ArrayList<>();
        if (drift != null && drift > thresholds.drift()) {
            alerts.add("drift");
        }
        if (scored + errors > 0 && errors / (double) (scored + errors) > thresholds.errorRate()) {
            alerts.add("error-rate");
        }
        if (latencyMs.p99() > thresholds.p99LatencyMs()) {
            alerts.add("p99-latency");
        }
        return new ModelHealth(
                start,
                end,
                modelVersion,
                device,
                scored,
                scored / seconds,
                latencyMs,
                batches == 0 ? 0 : batchSizeSum / (double) batches,
                batchSizeMax,
                inference.getValueAtPercentile(50),
                inference.getValueAtPercentile(99),
                deadLetters,
                scored == 0 ? 0 : positives / (double) scored,
                scored == 0 ? 0 : scoreSum / scored,
                histogram.clone(),
                drift,
                tokens == 0 ? 0 : unknownTokens / (double) tokens,
                referenceOov,
                labelled,
                labelled == 0 ? null : (truePositives + trueNegatives) / (double) labelled,
                truePositives + falsePositives == 0
                        ? null
                        : truePositives / (double) (truePositives + falsePositives),
                truePositives + falseNegatives == 0
                        ? null
                        : truePositives / (double) (truePositives + falseNegatives),
                alerts,
                routing == null ? null : roleIn(routing),
                routing == null
                        ? null
                        : new ModelHealth.Routing(
                                routing.production(),
                                routing.canary(),
                                routing.canary() == null ? null : routing.canaryWeight(),
                                routing.shadow()),
                deviceMemoryBytes,
                events,
                eventsDropped == 0 ? null : eventsDropped,
                shadowCompared == 0
                        ? null
                        : new ModelHealth.Shadow(
                                List.copyOf(shadowComparedWith),
                                shadowCompared,
                                shadowAgreed / (double) shadowCompared,
                                shadowDifference / shadowCompared));
    }

    private String roleIn(RoutingTable routing) {
        if (modelVersion.equals(routing.production())) {
            return "production";
        }
        if (modelVersion.equals(routing.canary())) {
            return "canary";
        }
        if (modelVersion.equals(routing.shadow())) {
            return "shadow";
        }
        return "idle";
    }

    /**
     * PSI = Σ (p − q) · ln(p / q) over the bins, with empty bins smoothed; under 0.1 is usually
     * read as stable, over 0.2 as a real shift.
     */
    static double populationStabilityIndex(long[] actual, long[] reference) {
        double actualTotal = 0;
        double referenceTotal = 0;
        for (int i = 0; i < BINS; i++) {
            actualTotal += actual[i];
            referenceTotal += reference[i];
        }
        double psi = 0;
        for (int i = 0; i < BINS; i++) {
            double p = Math.max(1e-4, actual[i] / actualTotal);
            double q = Math.max(1e-4, reference[i] / referenceTotal);
            psi += (p - q) * Math.log(p / q);
        }
        return psi;
    }
}
