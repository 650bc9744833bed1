package io.sentiflow.cli;

import io.sentiflow.schemas.Sentiment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the demo has seen so far: scored reviews, their latencies, accuracy, dead letters. */
final class LiveStats {
    private final Map<String, Boolean> truth;
    private final long startNanos = System.nanoTime();
    private final List<Long> scoringLatencies = new ArrayList<>();
    private final List<Long> visibleLatencies = new ArrayList<>();
    private int scored;
    private int correct;
    private int deadLetters;

    LiveStats(Map<String, Boolean> truth) {
        this.truth = truth;
    }

    /** Counts a sentiment of this run; {@code receivedAt} is when the reader saw it. */
    void sentiment(Sentiment sentiment, long producedAt, long receivedAt) {
        Boolean positive = truth.get(sentiment.reviewId());
        if (positive == null) {
            return; // not one of this run's reviews
        }
        scored++;
        if (sentiment.label().equals("positive") == positive) {
            correct++;
        }
        scoringLatencies.add(sentiment.latencyMs());
        if (producedAt > 0) {
            visibleLatencies.add(Math.max(0, receivedAt - producedAt));
        }
    }

    void deadLetter() {
        deadLetters++;
    }

    int scored() {
        return scored;
    }

    int deadLetters() {
        return deadLetters;
    }

    double accuracy() {
        return scored == 0 ? 0 : correct / (double) scored;
    }

    double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    String line(int sent, int total) {
        return String.format(
                Locale.ROOT,
                "sent %d/%d | scored %d | %.0f reviews/s | scoring latency p50 %d ms p99 %d ms | accuracy %.3f | dead letters %d",
                sent,
                total,
                scored,
                scored / Math.max(seconds(), 1e-3),
                percentile(scoringLatencies, 50),
                percentile(scoringLatencies, 99),
                accuracy(),
                deadLetters);
    }

    String summary(int sent) {
        return String.format(
                Locale.ROOT,
                "summary: sent %d, scored %d, dead letters %d, accuracy %.3f, %.0f reviews/s over %.1f s;"
                        + " latency to scoring p50 %d / p99 %d ms; to a read_committed consumer p50 %d / p99 %d ms",
                sent,
                scored,
                deadLetters,
                accuracy(),
                scored / Math.max(seconds(), 1e-3),
                seconds(),
                percentile(scoringLatencies, 50),
                percentile(scoringLatencies, 99),
                percentile(visibleLatencies, 50),
                percentile(visibleLatencies, 99));
    }

    static long percentile(List<Long> values, int percentile) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
