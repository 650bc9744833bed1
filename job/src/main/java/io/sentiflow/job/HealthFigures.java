package io.sentiflow.job;

import java.nio.ByteBuffer;
import java.util.TreeSet;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * One model version's figures over one window that add up: counts, the score histogram, the latency
 * and inference-time histograms (HdrHistogram), labelled outcomes, shadow comparisons. A scoring
 * subtask keeps one per version and window and sends it as a {@link HealthPartial}; {@link
 * AggregateHealth} merges the partials of every subtask. Plain Java, no Flink.
 */
final class HealthFigures {
    static final int BINS = 10;
    private static final long MAX_LATENCY_MS = 3_600_000L;
    private static final long MAX_INFERENCE_MS = 600_000L;

    long scored;

    /** Reviews this version could not score (dead-lettered as SCORING_ERROR). */
    long failed;

    long positives;
    double scoreSum;
    double confidenceSum;
    final long[] histogram = new long[BINS];
    final Histogram latency = new Histogram(MAX_LATENCY_MS, 3);
    long batches;
    long batchSizeSum;
    int batchSizeMax;
    final Histogram inference = new Histogram(MAX_INFERENCE_MS, 3);
    long tokens;
    long unknownTokens;
    long truePositives;
    long falsePositives;
    long trueNegatives;
    long falseNegatives;

    /**
     * Labelled reviews that are a fair sample of the version's traffic, and how many were right.
     */
    long representativeLabelled;

    long representativeCorrect;

    Long deviceMemoryBytes;
    final TreeSet<String> shadowComparedWith = new TreeSet<>();
    long shadowCompared;
    long shadowAgreed;
    double shadowDifference;
    String device;

    /** The score histogram bin of a score: [0, 0.1) … [0.9, 1]. */
    static int bin(double score) {
        return Math.min(BINS - 1, Math.max(0, (int) (score * BINS)));
    }

    /** One scored review; {@code label} is its true label when the producer sent one. */
    void addScored(float score, long latencyMs, int tokenCount, int unknown, String label) {
        scored++;
        boolean positive = score >= 0.5;
        positives += positive ? 1 : 0;
        scoreSum += score;
        confidenceSum += Math.max(score, 1 - score);
        histogram[bin(score)]++;
        latency.recordValue(Math.min(MAX_LATENCY_MS, Math.max(0, latencyMs)));
        tokens += tokenCount;
        unknownTokens += unknown;
        if (label != null) {
            addLabelled(positive, io.sentiflow.schemas.Labels.POSITIVE.equals(label), true);
        }
    }

    /**
     * A prediction with its true label, from the review itself or from later feedback; {@code
     * representative} when the label is not there because of how the model scored the review.
     */
    void addLabelled(boolean predicted, boolean actual, boolean representative) {
        if (representative) {
            representativeLabelled++;
            representativeCorrect += predicted == actual ? 1 : 0;
        }
        if (predicted && actual) {
            truePositives++;
        } else if (predicted) {
            falsePositives++;
        } else if (actual) {
            falseNegatives++;
        } else {
            trueNegatives++;
        }
    }

    void addBatch(int size, long inferenceMillis, Long memory) {
        if (memory != null) {
            deviceMemoryBytes =
                    deviceMemoryBytes == null ? memory : Math.max(deviceMemoryBytes, memory);
        }
        batches++;
        batchSizeSum += size;
        batchSizeMax = Math.max(batchSizeMax, size);
        inference.recordValue(Math.min(MAX_INFERENCE_MS, Math.max(0, inferenceMillis)));
    }

    void addShadow(String primary, long compared, long agreed, double difference) {
        shadowComparedWith.add(primary);
        shadowCompared += compared;
        shadowAgreed += agreed;
        shadowDifference += difference;
    }

    /** Adds another window's figures of the same version. */
    void merge(HealthFigures other) {
        scored += other.scored;
        failed += other.failed;
        positives += other.positives;
        scoreSum += other.scoreSum;
        confidenceSum += other.confidenceSum;
        for (int i = 0; i < BINS; i++) {
            histogram[i] += other.histogram[i];
        }
        latency.add(other.latency);
        batches += other.batches;
        batchSizeSum += other.batchSizeSum;
        batchSizeMax = Math.max(batchSizeMax, other.batchSizeMax);
        inference.add(other.inference);
        tokens += other.tokens;
        unknownTokens += other.unknownTokens;
        truePositives += other.truePositives;
        falsePositives += other.falsePositives;
        trueNegatives += other.trueNegatives;
        falseNegatives += other.falseNegatives;
        representativeLabelled += other.representativeLabelled;
        representativeCorrect += other.representativeCorrect;
        if (other.deviceMemoryBytes != null) {
            deviceMemoryBytes =
                    deviceMemoryBytes == null
                            ? other.deviceMemoryBytes
                            : Math.max(deviceMemoryBytes, other.deviceMemoryBytes);
        }
        shadowComparedWith.addAll(other.shadowComparedWith);
        shadowCompared += other.shadowCompared;
        shadowAgreed += other.shadowAgreed;
        shadowDifference += other.shadowDifference;
        if (device == null) {
            device = other.device;
        }
    }

    boolean isEmpty() {
        return scored == 0 && failed == 0 && batches == 0 && shadowCompared == 0;
    }

    long labelled() {
        return truePositives + falsePositives + trueNegatives + falseNegatives;
    }

    /** The wire form, for the network between the scoring subtasks and the aggregation. */
    HealthPartial toPartial(String modelVersion, long windowStart, int subtask) {
        HealthPartial partial = new HealthPartial();
        partial.modelVersion = modelVersion;
        partial.windowStart = windowStart;
        partial.subtask = subtask;
        partial.device = device;
        partial.scored = scored;
        partial.failed = failed;
        partial.positives = positives;
        partial.scoreSum = scoreSum;
        partial.confidenceSum = confidenceSum;
        partial.histogram = histogram.clone();
        partial.latency = encode(latency);
        partial.batches = batches;
        partial.batchSizeSum = batchSizeSum;
        partial.batchSizeMax = batchSizeMax;
        partial.inference = encode(inference);
        partial.tokens = tokens;
        partial.unknownTokens = unknownTokens;
        partial.truePositives = truePositives;
        partial.falsePositives = falsePositives;
        partial.trueNegatives = trueNegatives;
        partial.falseNegatives = falseNegatives;
        partial.representativeLabelled = representativeLabelled;
        partial.representativeCorrect = representativeCorrect;
        partial.deviceMemoryBytes = deviceMemoryBytes;
        partial.shadowComparedWith = shadowComparedWith.toArray(String[]::new);
        partial.shadowCompared = shadowCompared;
        partial.shadowAgreed = shadowAgreed;
        partial.shadowDifference = shadowDifference;
        return partial;
    }

    static HealthFigures of(HealthPartial partial) {
        HealthFigures figures = new HealthFigures();
        figures.device = partial.device;
        figures.scored = partial.scored;
        figures.failed = partial.failed;
        figures.positives = partial.positives;
        figures.scoreSum = partial.scoreSum;
        figures.confidenceSum = partial.confidenceSum;
        System.arraycopy(partial.histogram, 0, figures.histogram, 0, BINS);
        figures.latency.add(decode(partial.latency, MAX_LATENCY_MS));
        figures.batches = partial.batches;
        figures.batchSizeSum = partial.batchSizeSum;
        figures.batchSizeMax = partial.batchSizeMax;
        figures.inference.add(decode(partial.inference, MAX_INFERENCE_MS));
        figures.tokens = partial.tokens;
        figures.unknownTokens = partial.unknownTokens;
        figures.truePositives = partial.truePositives;
        figures.falsePositives = partial.falsePositives;
        figures.trueNegatives = partial.trueNegatives;
        figures.falseNegatives = partial.falseNegatives;
        figures.representativeLabelled = partial.representativeLabelled;
        figures.representativeCorrect = partial.representativeCorrect;
        figures.deviceMemoryBytes = partial.deviceMemoryBytes;
        if (partial.shadowComparedWith != null) {
            figures.shadowComparedWith.addAll(java.util.List.of(partial.shadowComparedWith));
        }
        figures.shadowCompared = partial.shadowCompared;
        figures.shadowAgreed = partial.shadowAgreed;
        figures.shadowDifference = partial.shadowDifference;
        return figures;
    }

    private static byte[] encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        byte[] bytes = new byte[length];
        buffer.flip();
        buffer.get(bytes);
        return bytes;
    }

    private static Histogram decode(byte[] bytes, long highest) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), highest);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("a health partial holds a broken histogram", e);
        }
    }
}
