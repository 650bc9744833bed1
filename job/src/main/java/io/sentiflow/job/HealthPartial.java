package io.sentiflow.job;

/**
 * One scoring subtask's figures of one model version over one health window, sent to {@link
 * AggregateHealth} once per window instead of an event per review. A POJO: histograms travel in
 * HdrHistogram's compressed encoding. See {@link HealthFigures} for the fields' meaning.
 */
public class HealthPartial {
    public String modelVersion;
    public long windowStart;
    public int subtask;
    public String device;
    public long scored;
    public long failed;
    public long representativeLabelled;
    public long representativeCorrect;
    public long positives;
    public double scoreSum;
    public double confidenceSum;
    public long[] histogram;
    public byte[] latency;
    public long batches;
    public long batchSizeSum;
    public int batchSizeMax;
    public byte[] inference;
    public long tokens;
    public long unknownTokens;
    public long truePositives;
    public long falsePositives;
    public long trueNegatives;
    public long falseNegatives;
    public Long deviceMemoryBytes;
    public String[] shadowComparedWith;
    public long shadowCompared;
    public long shadowAgreed;
    public double shadowDifference;

    public HealthPartial() {}
}
