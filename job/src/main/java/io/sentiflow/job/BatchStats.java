package io.sentiflow.job;

/** One scored batch: its size and its model time. A POJO, on ScoreBatch's side output. */
public class BatchStats {
    public String modelVersion;
    public int size;
    public long inferenceMillis;

    public BatchStats() {}

    public BatchStats(String modelVersion, int size, long inferenceMillis) {
        this.modelVersion = modelVersion;
        this.size = size;
        this.inferenceMillis = inferenceMillis;
    }
}
