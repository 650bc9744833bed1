package io.sentiflow.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * How one model version did in one window ({@code model-health.v1}), on the model-health topic.
 *
 * @param windowStart window start, epoch milliseconds
 * @param windowEnd window end, epoch milliseconds
 * @param modelVersion the model version the figures are about
 * @param device where it scores, e.g. {@code cpu()} or {@code gpu(0)}
 * @param reviewsScored sentiments emitted in the window
 * @param throughputPerSecond reviewsScored over the window length
 * @param latencyMs Kafka timestamp → scored, in milliseconds
 * @param batchSizeMean mean reviews per scored batch
 * @param batchSizeMax largest batch
 * @param inferenceMsP50 median model time per batch
 * @param inferenceMsP99 99th percentile model time per batch
 * @param deadLetters dead letters of the window by reason code (all versions)
 * @param positiveRate share of positive sentiments
 * @param meanScore mean P(positive)
 * @param scoreHistogram 10 bins of scores, [0, 0.1) … [0.9, 1]
 * @param drift population stability index of the score histogram against the model's training
 *     reference; null when the model has no reference
 * @param oovRate share of tokens not in the vocabulary
 * @param referenceOovRate the same share on the model's validation data; null when unknown
 * @param labelled reviews of the window whose true label is known
 * @param accuracy accuracy on the labelled reviews; null when none
 * @param precision precision of positive on the labelled reviews; null when undefined
 * @param recall recall of positive on the labelled reviews; null when undefined
 * @param alerts names of the thresholds crossed: drift, error-rate, p99-latency,
 *     estimated-accuracy, canary-decision-pending (an automatic canary decision has not applied
 *     within 3 windows)
 * @param role what the version does at the window's end: production, canary, shadow, or idle
 *     (loaded or refused, no traffic); null when unknown
 * @param routing the job's routing at the window's end; null when unknown
 * @param deviceMemoryBytes memory in use on the scoring device (GPU: CUDA's used memory; CPU: the
 *     TaskManager's resident memory); null when unreadable
 * @param modelEvents loads, unloads, refusals and routing changes of this version in the window (at
 *     most 50; refusals that name no existing version are reported under production)
 * @param modelEventsDropped events of the window beyond those 50, counted only; null when none
 * @param shadow how this version's scores compared with the ones sent, when it is the shadow
 * @param estimatedAccuracy accuracy estimated without labels: the mean of max(p, 1 − p) over the
 *     window's (calibrated) scores; null when nothing was scored
 * @param referenceAccuracy the model's validation accuracy, which the estimate is compared with;
 *     null when unknown
 * @param canaryAnalysis on a canary's record while the job judges it: this window's verdict, the
 *     evidence, and the decision when one was made; null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelHealth(
        long windowStart,
        long windowEnd,
        String modelVersion,
        String device,
        long reviewsScored,
        double throughputPerSecond,
        Latency latencyMs,
        double batchSizeMean,
        int batchSizeMax,
        double inferenceMsP50,
        double inferenceMsP99,
        Map<String, Long> deadLetters,
        double positiveRate,
        double meanScore,
        long[] scoreHistogram,
        Double drift,
        double oovRate,
        Double referenceOovRate,
        long labelled,
        Double accuracy,
        Double precision,
        Double recall,
        List<String> alerts,
        String role,
        Routing routing,
        Long deviceMemoryBytes,
        List<ModelEvent> modelEvents,
        Long modelEventsDropped,
        Shadow shadow,
        Double estimatedAccuracy,
        Double referenceAccuracy,
        CanaryAnalysis canaryAnalysis) {

    /**
     * The job's judgement of a canary in one window ({@code control canary --auto}).
     *
     * @param commandId the canary command whose criteria are applied
     * @param canary the canary version
     * @param production the version it is compared with
     * @param verdict this window: pass, fail (a soft criterion failed), idle (too few canary
     *     reviews in the window, or nothing compared yet), inconclusive (labels decide but do not
     *     show the canary as good yet), promote or rollback (decided now), decided (decided
     *     earlier, waiting for the decision to apply)
     * @param criteria every criterion's value, limit and outcome
     * @param canaryReviews reviews the canary scored since it started
     * @param productionReviews reviews production scored since then
     * @param passedWindows passing windows in a row
     * @param failedWindows failed windows in a row
     * @param decision promote or rollback once decided, else null
     * @param decisionCommandId the command the job sent for its decision, else null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CanaryAnalysis(
            String commandId,
            String canary,
            String production,
            String verdict,
            List<Criterion> criteria,
            long canaryReviews,
            long productionReviews,
            int passedWindows,
            int failedWindows,
            String decision,
            String decisionCommandId) {
        public CanaryAnalysis {
            criteria = criteria == null ? List.of() : List.copyOf(criteria);
        }
    }

    /**
     * One criterion of a canary analysis.
     *
     * @param name error-rate-increase, p99-ratio, positive-rate-difference, psi or
     *     accuracy-difference
     * @param value what was measured (accuracy-difference: canary minus production); null when it
     *     could not be
     * @param limit the limit it is held to (accuracy-difference: alpha, for pValue)
     * @param pValue accuracy-difference only: one-sided p-value of "the canary is less accurate"
     * @param outcome pass, fail, inconclusive (accuracy neither shown worse nor shown as good),
     *     not-judged (too few reviews or labels yet) or reported (a proxy, outranked because enough
     *     labels arrived)
     * @param hard whether failing it rolls the canary back at once
     * @param basis what the value rests on, e.g. the counts compared
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Criterion(
            String name,
            Double value,
            double limit,
            Double pValue,
            String outcome,
            boolean hard,
            String basis) {}

    /** This record with a canary analysis attached, and {@code alert} added when not null. */
    public ModelHealth withCanaryAnalysis(CanaryAnalysis analysis, String alert) {
        List<String> withAlert = alerts;
        if (alert != null && !alerts.contains(alert)) {
            withAlert = new java.util.ArrayList<>(alerts);
            withAlert.add(alert);
        }
        return new ModelHealth(
                windowStart,
                windowEnd,
                modelVersion,
                device,
                reviewsScored,
                throughputPerSecond,
                latencyMs,
                batchSizeMean,
                batchSizeMax,
                inferenceMsP50,
                inferenceMsP99,
                deadLetters,
                positiveRate,
                meanScore,
                scoreHistogram,
                drift,
                oovRate,
                referenceOovRate,
                labelled,
                accuracy,
                precision,
                recall,
                withAlert,
                role,
                routing,
                deviceMemoryBytes,
                modelEvents,
                modelEventsDropped,
                shadow,
                estimatedAccuracy,
                referenceAccuracy,
                analysis);
    }

    /** Latency percentiles in milliseconds. */
    public record Latency(long p50, long p95, long p99, long max) {}

    /** Which versions receive traffic; canary and shadow may be null. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Routing(String production, String canary, Integer canaryWeight, String shadow) {}

    /**
     * Something that happened to a model version in one scoring subtask.
     *
     * @param type LOADED, UNLOADED, REFUSED or ROUTED
     * @param commandId the control command behind it, if any
     * @param issuedBy who sent that command, if any
     * @param subtask the scoring subtask
     * @param device that subtask's device
     * @param message what happened, e.g. the load time or the refusal's reason
     * @param at when, epoch milliseconds
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ModelEvent(
            String type,
            String commandId,
            String issuedBy,
            int subtask,
            String device,
            String message,
            long at) {}

    /**
     * The shadow's comparison with the versions whose scores were sent.
     *
     * @param comparedWith the versions it was compared with
     * @param compared reviews scored by both
     * @param agreementRate share of those with the same label
     * @param meanScoreDifference mean absolute difference of the scores
     */
    public record Shadow(
            List<String> comparedWith,
            long compared,
            double agreementRate,
            double meanScoreDifference) {}

    public ModelHealth {
        Contracts.require(modelVersion, "modelVersion", "ModelHealth");
        Contracts.require(latencyMs, "latencyMs", "ModelHealth");
        Contracts.require(deadLetters, "deadLetters", "ModelHealth");
        Contracts.require(scoreHistogram, "scoreHistogram", "ModelHealth");
        Contracts.require(alerts, "alerts", "ModelHealth");
        deadLetters = Map.copyOf(deadLetters);
        alerts = List.copyOf(alerts);
        modelEvents =
                modelEvents == null || modelEvents.isEmpty() ? null : List.copyOf(modelEvents);
    }
}
