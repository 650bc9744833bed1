package io.sentiflow.job;

import io.sentiflow.schemas.ModelHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One model version's health over one window: the figures merged from every scoring subtask, the
 * model events, and how to turn them into a {@code model-health.v1} record. Plain Java, no Flink.
 */
final class HealthAccumulator {
    static final int BINS = HealthFigures.BINS;

    /** The most model events one record carries; later ones are only counted. */
    static final int MAX_EVENTS = 50;

    /** Event messages are cut to this many characters. */
    static final int MAX_EVENT_MESSAGE = 500;

    /**
     * When a window is flagged; {@code estimatedAccuracyDrop}: how far the estimated accuracy may
     * fall below the model's validation accuracy.
     */
    record Thresholds(
            double drift, double errorRate, long p99LatencyMs, double estimatedAccuracyDrop)
            implements java.io.Serializable {}

    /** Fewer reviews than this make no estimated-accuracy alert: the estimate is too noisy. */
    static final long MIN_REVIEWS_FOR_ESTIMATE_ALERT = 200;

    private final String modelVersion;
    private final HealthFigures figures = new HealthFigures();
    private final List<ModelHealth.ModelEvent> events = new ArrayList<>();
    private long eventsDropped;

    HealthAccumulator(String modelVersion) {
        this.modelVersion = modelVersion;
    }

    /** The figures merged so far. */
    HealthFigures figures() {
        return figures;
    }

    /** A scoring subtask's figures of this version and window. */
    void add(HealthFigures partial) {
        figures.merge(partial);
    }

    /** A prediction whose true label arrived later. */
    void addLabelled(boolean predicted, boolean actual, boolean representative) {
        figures.addLabelled(predicted, actual, representative);
    }

    void add(ModelEvent event) {
        if (figures.device == null) {
            figures.device = event.device;
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
            Double referenceAccuracy,
            Thresholds thresholds,
            RoutingTable routing) {
        HealthFigures f = figures;
        long scored = f.scored;
        double seconds = Math.max(1e-3, (end - start) / 1000.0);
        long labelled = f.labelled();
        Double drift =
                reference == null || scored == 0
                        ? null
                        : populationStabilityIndex(f.histogram, reference);
        ModelHealth.Latency latencyMs =
                new ModelHealth.Latency(
                        f.latency.getValueAtPercentile(50),
                        f.latency.getValueAtPercentile(95),
                        f.latency.getValueAtPercentile(99),
                        f.latency.getMaxValue());
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
        // Confidence-based performance estimation: with calibrated scores, the mean of
        // max(p, 1 - p) estimates accuracy without labels.
        Double estimatedAccuracy = scored == 0 ? null : f.confidenceSum / scored;
        if (estimatedAccuracy != null
                && referenceAccuracy != null
                && scored >= MIN_REVIEWS_FOR_ESTIMATE_ALERT
                && estimatedAccuracy < referenceAccuracy - thresholds.estimatedAccuracyDrop()) {
            alerts.add("estimated-accuracy");
        }
        return new ModelHealth(
                start,
                end,
                modelVersion,
                f.device,
                scored,
                scored / seconds,
                latencyMs,
                f.batches == 0 ? 0 : f.batchSizeSum / (double) f.batches,
                f.batchSizeMax,
                f.inference.getValueAtPercentile(50),
                f.inference.getValueAtPercentile(99),
                deadLetters,
                scored == 0 ? 0 : f.positives / (double) scored,
                scored == 0 ? 0 : f.scoreSum / scored,
                f.histogram.clone(),
                drift,
                f.tokens == 0 ? 0 : f.unknownTokens / (double) f.tokens,
                referenceOov,
                labelled,
                labelled == 0 ? null : (f.truePositives + f.trueNegatives) / (double) labelled,
                f.truePositives + f.falsePositives == 0
                        ? null
                        : f.truePositives / (double) (f.truePositives + f.falsePositives),
                f.truePositives + f.falseNegatives == 0
                        ? null
                        : f.truePositives / (double) (f.truePositives + f.falseNegatives),
                alerts,
                routing == null ? null : roleIn(routing),
                routing == null
                        ? null
                        : new ModelHealth.Routing(
                                routing.production(),
                                routing.canary(),
                                routing.canary() == null ? null : routing.canaryWeight(),
                                routing.shadow()),
                f.deviceMemoryBytes,
                events,
                eventsDropped == 0 ? null : eventsDropped,
                f.shadowCompared == 0
                        ? null
                        : new ModelHealth.Shadow(
                                List.copyOf(f.shadowComparedWith),
                                f.shadowCompared,
                                f.shadowAgreed / (double) f.shadowCompared,
                                f.shadowDifference / f.shadowCompared),
                estimatedAccuracy,
                referenceAccuracy,
                null);
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
