package io.sentiflow.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scoring subtask's health window: per model version, the figures of what it scored ({@link
 * HealthFigures}) and a reservoir sample of the reviews for drift labelling ({@link DriftWindow}).
 * At the window's end it hands out one {@link HealthPartial} per version, and the sample of every
 * version whose scores drifted. Plain Java, used by the task thread only; bounded by the resident
 * versions (at most {@code model.max-loaded}) and {@code samples.drift-max} reviews each.
 */
final class SubtaskHealth {
    /** A drifted window's sampled review. */
    record DriftSample(String version, ParsedReview review, float score) {}

    /** What a closed window produced. */
    record Closed(List<HealthPartial> partials, List<DriftSample> samples) {}

    private final long windowMs;
    private final int driftSamples;
    private final int subtask;
    private long windowStart;
    private Map<String, HealthFigures> figures = new LinkedHashMap<>();
    private Map<String, DriftWindow> drift = new LinkedHashMap<>();

    SubtaskHealth(long windowMs, int driftSamples, int subtask) {
        this.windowMs = windowMs;
        this.driftSamples = driftSamples;
        this.subtask = subtask;
    }

    /** Starts the window that holds {@code now}. */
    void start(long now) {
        windowStart = now - Math.floorMod(now, windowMs);
    }

    HealthFigures figures(String version) {
        return figures.computeIfAbsent(version, v -> new HealthFigures());
    }

    DriftWindow drift(String version, long seed) {
        return drift.computeIfAbsent(version, v -> new DriftWindow(driftSamples, seed));
    }

    /**
     * Ends the window and starts the next one at {@code nextStart}.
     *
     * @param references each resident version's training score histogram (null: none)
     */
    Closed close(long nextStart, Map<String, long[]> references, double driftThreshold) {
        List<HealthPartial> partials = new ArrayList<>();
        List<DriftSample> samples = new ArrayList<>();
        for (Map.Entry<String, HealthFigures> entry : figures.entrySet()) {
            HealthFigures window = entry.getValue();
            if (window.isEmpty()) {
                continue;
            }
            partials.add(window.toPartial(entry.getKey(), windowStart, subtask));
            DriftWindow sample = drift.get(entry.getKey());
            if (sample != null) {
                Double psi =
                        DriftWindow.drift(
                                window.histogram, window.scored, references.get(entry.getKey()));
                for (DriftWindow.Sampled s : sample.samplesIfDrifted(psi, driftThreshold)) {
                    samples.add(new DriftSample(entry.getKey(), s.review(), s.score()));
                }
            }
        }
        figures = new LinkedHashMap<>();
        drift = new LinkedHashMap<>();
        start(nextStart);
        return new Closed(partials, samples);
    }
}
