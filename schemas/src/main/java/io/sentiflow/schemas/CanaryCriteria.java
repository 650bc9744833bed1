package io.sentiflow.schemas;

/**
 * How the job judges a canary by itself ({@code sentiflow control canary … --auto}): the {@code
 * analysis} object of a canary command in {@code model-control.v1}, kept in the routing while the
 * canary runs. Every field is required on the wire, so a signature covers exactly what is judged.
 *
 * <p>Each health window the canary is compared with production on their own reviews. A hard
 * criterion that fails rolls the canary back at once; a soft one fails the window, and {@code
 * maxFailedWindows} failed windows in a row roll it back too. It is promoted once it has scored
 * {@code minReviews} reviews and passed {@code windows} windows in a row.
 *
 * @param minReviews reviews the canary scores before it may be promoted
 * @param windows consecutive passing windows before it may be promoted
 * @param maxFailedWindows consecutive failed windows that roll it back
 * @param maxErrorRateIncrease hard: scoring errors per review since the start, canary minus
 *     production (judged from 20 canary reviews, failing from 3 errors)
 * @param maxP99Ratio soft: the canary's p99 latency over production's (production's taken as at
 *     least 50 ms), per window
 * @param maxPositiveRateDifference soft, without enough labels: |positive rate difference| since
 *     the canary started
 * @param maxPsi soft, without enough labels: population stability index between the two score
 *     histograms since the canary started
 * @param minCompared reviews each side scores before the two proxies above are judged
 * @param minLabelled labelled reviews each side needs before accuracy is judged; from then on the
 *     labels decide and the proxies are only reported
 * @param alpha significance of the one-sided two-proportion test: a canary shown less accurate than
 *     production by more than {@code maxAccuracyDrop}, p below alpha, is a hard failure
 * @param maxAccuracyDrop once labels decide, a window passes only when the one-sided 95 % lower
 *     bound of canary minus production accuracy is above minus this: shown not worse by more
 */
public record CanaryCriteria(
        long minReviews,
        int windows,
        int maxFailedWindows,
        double maxErrorRateIncrease,
        double maxP99Ratio,
        double maxPositiveRateDifference,
        double maxPsi,
        long minCompared,
        long minLabelled,
        double alpha,
        double maxAccuracyDrop)
        implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The defaults, as {@code sentiflow control canary --auto} documents them. */
    public static CanaryCriteria defaults() {
        return new CanaryCriteria(500, 3, 3, 0.01, 2.0, 0.15, 0.25, 200, 100, 0.01, 0.05);
    }

    public CanaryCriteria {
        check(minReviews >= 1 && minReviews <= 1_000_000_000L, "minReviews 1-1e9", minReviews);
        check(windows >= 1 && windows <= 1_000, "windows 1-1000", windows);
        check(
                maxFailedWindows >= 1 && maxFailedWindows <= 1_000,
                "maxFailedWindows 1-1000",
                maxFailedWindows);
        check(
                maxErrorRateIncrease >= 0 && maxErrorRateIncrease <= 1,
                "maxErrorRateIncrease 0-1",
                maxErrorRateIncrease);
        check(maxP99Ratio >= 1 && maxP99Ratio <= 1_000, "maxP99Ratio 1-1000", maxP99Ratio);
        check(
                maxPositiveRateDifference >= 0 && maxPositiveRateDifference <= 1,
                "maxPositiveRateDifference 0-1",
                maxPositiveRateDifference);
        check(maxPsi >= 0 && maxPsi <= 100, "maxPsi 0-100", maxPsi);
        check(minCompared >= 1 && minCompared <= 1_000_000_000L, "minCompared 1-1e9", minCompared);
        check(minLabelled >= 1 && minLabelled <= 1_000_000_000L, "minLabelled 1-1e9", minLabelled);
        check(alpha > 0 && alpha < 0.5, "alpha in (0, 0.5)", alpha);
        check(maxAccuracyDrop >= 0 && maxAccuracyDrop <= 1, "maxAccuracyDrop 0-1", maxAccuracyDrop);
    }

    private static void check(boolean ok, String rule, Object value) {
        if (!ok) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelControl.analysis." + rule + ", got " + value);
        }
    }

    /** The fields by name, sorted, as a command's signed content holds them. */
    java.util.TreeMap<String, Object> canonical() {
        java.util.TreeMap<String, Object> fields = new java.util.TreeMap<>();
        fields.put("alpha", alpha);
        fields.put("maxAccuracyDrop", maxAccuracyDrop);
        fields.put("maxErrorRateIncrease", maxErrorRateIncrease);
        fields.put("maxFailedWindows", maxFailedWindows);
        fields.put("maxP99Ratio", maxP99Ratio);
        fields.put("maxPositiveRateDifference", maxPositiveRateDifference);
        fields.put("maxPsi", maxPsi);
        fields.put("minCompared", minCompared);
        fields.put("minLabelled", minLabelled);
        fields.put("minReviews", minReviews);
        fields.put("windows", windows);
        return fields;
    }
}
