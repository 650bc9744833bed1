package io.sentiflow.job;

/**
 * A batch scored by both a primary version and the shadow: how often they agreed on the label and
 * how far apart their scores were. A POJO, on ScoreBatch's side output, for model health.
 */
public class ShadowStats {
    public String shadowVersion;
    public String primaryVersion;
    public int compared;
    public int agreed;
    public double absoluteDifferenceSum;

    public ShadowStats() {}

    public ShadowStats(
            String shadowVersion,
            String primaryVersion,
            int compared,
            int agreed,
            double absoluteDifferenceSum) {
        this.shadowVersion = shadowVersion;
        this.primaryVersion = primaryVersion;
        this.compared = compared;
        this.agreed = agreed;
        this.absoluteDifferenceSum = absoluteDifferenceSum;
    }
}
