package io.sentiflow.job;

/** One scored batch: its size and its model time. A POJO, on ScoreBatch's side output. */
public class BatchStats {
    public String modelVersion;
    public int size;
    public long inferenceMillis;

    /** Memory in use on the scoring device after the batch, when readable; else null. */
    public Long deviceMemoryBytes;

    public BatchStats() {}

    public BatchStats(String modelVersion, int size, long inferenceMillis, Long deviceMemoryBytes) {
        this.modelVersion = modelVersion;
        this.size = size;
        this.inferenceMillis = inferenceMillis;
        this.deviceMemoryBytes = deviceMemoryBytes;
    }
}
