package io.sentiflow.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sentiflow.schemas.CanaryCriteria;
import io.sentiflow.schemas.ModelHealth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Judges one automatic canary ({@code control canary --auto}) window by window against production,
 * each on its own reviews, by its {@link CanaryCriteria}; decides promote or rollback once.
 *
 * <p>Per window: p99 latency (soft). Since the canary started: scoring errors per review (hard);
 * accuracy on representative labelled reviews (labels that came with the review, or from the hashed
 * join fraction — never the ones sampled because a model was unsure) with one-sided two-proportion
 * tests: significantly worse rolls back (hard), and only shown not worse than production by more
 * than {@code maxAccuracyDrop} does it pass; and — until each side has {@code minLabelled} labels —
 * the positive-rate difference and the PSI between the two score histograms as proxies (soft). Once
 * labels suffice they decide and the proxies are only reported: a better model may score
 * differently. Plain Java; its state is small (counts and two 10-bin histograms) and travels as
 * JSON in the aggregation's checkpoint.
 */
final class CanaryJudge {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * A window in which the canary scored fewer reviews than this is not judged (but errors are).
     */
    static final long MIN_WINDOW_REVIEWS = 20;

    /** Production's p99 is taken as at least this, so tiny latencies do not make large ratios. */
    static final long P99_FLOOR_MS = 50;

    /** z of the one-sided 95 % bound that shows a canary not worse than the margin allows. */
    static final double NON_INFERIORITY_Z = 1.6449;

    /** Errors the canary must have made before the error criterion can fail it. */
    static final long MIN_ERRORS = 3;

    /** A decision's reason is cut to this many characters, so it fits any control record. */
    static final int MAX_REASON = 1024;

    static final String PROMOTE = "promote";
    static final String ROLLBACK = "rollback";

    /** Everything the judge remembers; public fields for its JSON form. */
    static final class State {
        public String commandId;
        public String canary;
        public String production;
        public CanaryCriteria criteria;
        public long canaryScored;
        public long canaryFailed;
        public long canaryPositives;
        public long[] canaryHistogram = new long[HealthFigures.BINS];
        public long canaryLabelled;
        public long canaryCorrect;
        public long productionScored;
        public long productionFailed;
        public long productionPositives;
        public long[] productionHistogram = new long[HealthFigures.BINS];
        public long productionLabelled;
        public long productionCorrect;
        public int passedWindows;
        public int failedWindows;
        public String decision;
        public String decisionCommandId;
        public int windowsSinceDecision;
    }

    private final State state;

    CanaryJudge(String commandId, String canary, String production, CanaryCriteria criteria) {
        state = new State();
        state.commandId = commandId;
        state.canary = canary;
        state.production = production;
        state.criteria = criteria;
    }

    private CanaryJudge(State state) {
        this.state = state;
    }

    static CanaryJudge restore(String json) throws IOException {
        return new CanaryJudge(MAPPER.readValue(json, State.class));
    }

    String snapshot() throws IOException {
        return MAPPER.writeValueAsString(state);
    }

    String commandId() {
        return state.commandId;
    }

    String canary() {
        return state.canary;
    }

    String production() {
        return state.production;
    }

    /** promote, rollback, or null while undecided. */
    String decision() {
        return state.decision;
    }

    /**
     * Whether a decision was made {@code windows} windows ago or more and the routing still shows
     * its canary.
     */
    boolean decisionPending(int windows) {
        return state.decision != null && state.windowsSinceDecision >= windows;
    }

    /**
     * Whether this judge still applies to {@code routing}: the same canary command and production.
     */
    boolean judges(RoutingTable routing) {
        return routing != null
                && java.util.Objects.equals(state.commandId, routing.canaryCommandId())
                && java.util.Objects.equals(state.canary, routing.canary())
                && java.util.Objects.equals(state.production, routing.production());
    }

    /**
     * Judges one window; {@code canary} and {@code production} are their figures of it (null:
     * none). Returns the evidence; {@link #decision()} is set when this window decided.
     */
    ModelHealth.CanaryAnalysis judge(HealthFigures canary, HealthFigures production) {
        if (state.decision != null) {
            state.windowsSinceDecision++;
            return evidence("decided", List.of());
        }
        HealthFigures c = canary == null ? new HealthFigures() : canary;
        HealthFigures p = production == null ? new HealthFigures() : production;
        accumulate(c, p);
        CanaryCriteria k = state.criteria;
        List<ModelHealth.Criterion> criteria = new ArrayList<>();
        ModelHealth.Criterion accuracy = accuracy(k);
        boolean labelsDecide = !"not-judged".equals(accuracy.outcome());
        criteria.add(errors(k));
        criteria.add(latency(c, p, k));
        criteria.add(positiveRate(k, labelsDecide));
        criteria.add(psi(k, labelsDecide));
        criteria.add(accuracy);

        boolean hardFailure =
                criteria.stream().anyMatch(x -> x.hard() && "fail".equals(x.outcome()));
        boolean softFailure =
                criteria.stream().anyMatch(x -> !x.hard() && "fail".equals(x.outcome()));
        String verdict;
        if (hardFailure) {
            decide(ROLLBACK);
            verdict = ROLLBACK;
        } else if (c.scored + c.failed < MIN_WINDOW_REVIEWS) {
            verdict = "idle";
        } else if ("inconclusive".equals(accuracy.outcome()) && !softFailure) {
            // Labels decide, and do not show yet that the canary is as good: no window passes.
            state.passedWindows = 0;
            verdict = "inconclusive";
        } else if (softFailure) {
            state.passedWindows = 0;
            state.failedWindows++;
            verdict = "fail";
            if (state.failedWindows >= k.maxFailedWindows()) {
                decide(ROLLBACK);
                verdict = ROLLBACK;
            }
        } else if (!labelsDecide
                && !criteria.stream()
                        .filter(x -> !x.hard() && !"p99-ratio".equals(x.name()))
                        .allMatch(x -> "pass".equals(x.outcome()))) {
            // Nothing compared the two yet (too few labels and reviews): the window does not count.
            verdict = "idle";
        } else {
            state.failedWindows = 0;
            state.passedWindows++;
            verdict = "pass";
            if (state.passedWindows >= k.windows() && state.canaryScored >= k.minReviews()) {
                decide(PROMOTE);
                verdict = PROMOTE;
            }
        }
        return evidence(verdict, criteria);
    }

    private void accumulate(HealthFigures c, HealthFigures p) {
        state.canaryScored += c.scored;
        state.canaryFailed += c.failed;
        state.canaryPositives += c.positives;
        state.productionScored += p.scored;
        state.productionFailed += p.failed;
        state.productionPositives += p.positives;
        for (int i = 0; i < HealthFigures.BINS; i++) {
            state.canaryHistogram[i] += c.histogram[i];
            state.productionHistogram[i] += p.histogram[i];
        }
        state.canaryLabelled += c.representativeLabelled;
        state.canaryCorrect += c.representativeCorrect;
        state.productionLabelled += p.representativeLabelled;
        state.productionCorrect += p.representativeCorrect;
    }

    private void decide(String decision) {
        state.decision = decision;
        state.decisionCommandId = decisionCommandId(state.commandId, decision);
    }

    /**
     * The id of the command a decision is sent as: the same for the same canary command and
     * decision, in every run, so a decision sent twice is refused the second time as a duplicate.
     */
    static String decisionCommandId(String canaryCommandId, String decision) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(canaryCommandId.getBytes(StandardCharsets.UTF_8));
            return "canary-analysis-" + HexFormat.of().formatHex(digest, 0, 8) + "-" + decision;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Scoring errors per review since the start, once the canary met {@value #MIN_WINDOW_REVIEWS}
     * reviews; it fails only from {@value #MIN_ERRORS} errors on.
     */
    private ModelHealth.Criterion errors(CanaryCriteria k) {
        long canaryTotal = state.canaryScored + state.canaryFailed;
        long productionTotal = state.productionScored + state.productionFailed;
        String basis =
                "since start: "
                        + state.canaryFailed
                        + " errors of "
                        + canaryTotal
                        + " vs "
                        + state.productionFailed
                        + " of "
                        + productionTotal;
        if (canaryTotal < MIN_WINDOW_REVIEWS) {
            return new ModelHealth.Criterion(
                    "error-rate-increase",
                    null,
                    k.maxErrorRateIncrease(),
                    null,
                    "not-judged",
                    true,
                    basis + ", " + MIN_WINDOW_REVIEWS + " reviews needed");
        }
        double canaryRate = (double) state.canaryFailed / canaryTotal;
        double productionRate =
                productionTotal == 0 ? 0 : (double) state.productionFailed / productionTotal;
        double increase = canaryRate - productionRate;
        boolean fails = state.canaryFailed >= MIN_ERRORS && increase > k.maxErrorRateIncrease();
        return new ModelHealth.Criterion(
                "error-rate-increase",
                round(increase),
                k.maxErrorRateIncrease(),
                null,
                fails ? "fail" : "pass",
                true,
                basis);
    }

    private static ModelHealth.Criterion latency(
            HealthFigures c, HealthFigures p, CanaryCriteria k) {
        if (c.scored < MIN_WINDOW_REVIEWS || p.scored < MIN_WINDOW_REVIEWS) {
            return new ModelHealth.Criterion(
                    "p99-ratio",
                    null,
                    k.maxP99Ratio(),
                    null,
                    "not-judged",
                    false,
                    "window: "
                            + c.scored
                            + " vs "
                            + p.scored
                            + " reviews, "
                            + MIN_WINDOW_REVIEWS
                            + " needed each");
        }
        long canaryP99 = c.latency.getValueAtPercentile(99);
        long productionP99 = p.latency.getValueAtPercentile(99);
        double ratio = (double) canaryP99 / Math.max(P99_FLOOR_MS, productionP99);
        return new ModelHealth.Criterion(
                "p99-ratio",
                round(ratio),
                k.maxP99Ratio(),
                null,
                ratio > k.maxP99Ratio() ? "fail" : "pass",
                false,
                "window p99: " + canaryP99 + " ms vs " + productionP99 + " ms");
    }

    /**
     * A proxy for accuracy, judged on everything since the start once each side scored {@code
     * minCompared} reviews: it fails above {@code limit}, and is only reported once labels decide.
     */
    private ModelHealth.Criterion proxy(
            String name,
            double limit,
            CanaryCriteria k,
            boolean labelsDecide,
            java.util.function.DoubleSupplier measure) {
        String basis =
                "since start: " + state.canaryScored + " vs " + state.productionScored + " reviews";
        if (state.canaryScored < k.minCompared() || state.productionScored < k.minCompared()) {
            return new ModelHealth.Criterion(
                    name,
                    null,
                    limit,
                    null,
                    labelsDecide ? "reported" : "not-judged",
                    false,
                    basis + ", " + k.minCompared() + " needed each");
        }
        double value = measure.getAsDouble();
        if (!Double.isFinite(value)) {
            return new ModelHealth.Criterion(
                    name, null, limit, null, "not-judged", false, basis + ", not measurable");
        }
        String outcome = labelsDecide ? "reported" : value > limit ? "fail" : "pass";
        return new ModelHealth.Criterion(name, round(value), limit, null, outcome, false, basis);
    }

    private ModelHealth.Criterion positiveRate(CanaryCriteria k, boolean labelsDecide) {
        return proxy(
                "positive-rate-difference",
                k.maxPositiveRateDifference(),
                k,
                labelsDecide,
                () ->
                        Math.abs(
                                (double) state.canaryPositives / state.canaryScored
                                        - (double) state.productionPositives
                                                / state.productionScored));
    }

    private ModelHealth.Criterion psi(CanaryCriteria k, boolean labelsDecide) {
        return proxy(
                "psi",
                k.maxPsi(),
                k,
                labelsDecide,
                () ->
                        HealthAccumulator.populationStabilityIndex(
                                state.canaryHistogram, state.productionHistogram));
    }

    private ModelHealth.Criterion accuracy(CanaryCriteria k) {
        String basis =
                "since start: "
                        + state.canaryCorrect
                        + " of "
                        + state.canaryLabelled
                        + " vs "
                        + state.productionCorrect
                        + " of "
                        + state.productionLabelled
                        + " labelled correct";
        if (state.canaryLabelled < k.minLabelled() || state.productionLabelled < k.minLabelled()) {
            return new ModelHealth.Criterion(
                    "accuracy-difference",
                    null,
                    k.alpha(),
                    null,
                    "not-judged",
                    true,
                    basis + ", " + k.minLabelled() + " needed each");
        }
        double pWorse =
                pCanaryWorse(
                        state.canaryCorrect,
                        state.canaryLabelled,
                        state.productionCorrect,
                        state.productionLabelled,
                        k.maxAccuracyDrop());
        double lowerBound =
                lowerBoundOfDifference(
                        state.canaryCorrect, state.canaryLabelled,
                        state.productionCorrect, state.productionLabelled);
        double difference =
                (double) state.canaryCorrect / state.canaryLabelled
                        - (double) state.productionCorrect / state.productionLabelled;
        String outcome =
                pWorse < k.alpha()
                        ? "fail"
                        : lowerBound > -k.maxAccuracyDrop() ? "pass" : "inconclusive";
        return new ModelHealth.Criterion(
                "accuracy-difference",
                round(difference),
                k.alpha(),
                roundP(pWorse),
                outcome,
                true,
                basis
                        + String.format(
                                Locale.ROOT,
                                "; 95 %% lower bound %.4f, not worse than -%.4f needed",
                                lowerBound,
                                k.maxAccuracyDrop()));
    }

    /**
     * The one-sided 95 % lower confidence bound of canary minus production accuracy (Wald,
     * unpooled): above {@code -maxAccuracyDrop} shows the canary is not worse by more than that.
     */
    static double lowerBoundOfDifference(
            long canaryCorrect, long canaryN, long productionCorrect, long productionN) {
        double pc = (double) canaryCorrect / canaryN;
        double pp = (double) productionCorrect / productionN;
        double se = Math.sqrt(pc * (1 - pc) / canaryN + pp * (1 - pp) / productionN);
        return pc - pp - NON_INFERIORITY_Z * se;
    }

    /**
     * The one-sided p-value of "the canary is less accurate than production by more than {@code
     * margin}": the two-proportion z-test (unpooled), Φ((p̂c − p̂p + margin) / se). Within the
     * margin a canary is acceptable, so only a loss beyond it, shown, rolls it back.
     */
    static double pCanaryWorse(
            long canaryCorrect,
            long canaryN,
            long productionCorrect,
            long productionN,
            double margin) {
        double pc = (double) canaryCorrect / canaryN;
        double pp = (double) productionCorrect / productionN;
        double se = Math.sqrt(pc * (1 - pc) / canaryN + pp * (1 - pp) / productionN);
        if (se == 0) {
            return pc - pp + margin < 0 ? 0 : 1;
        }
        return normalCdf((pc - pp + margin) / se);
    }

    /** Φ(z), the standard normal distribution function (Abramowitz–Stegun 7.1.26, error < 1e-7). */
    static double normalCdf(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf =
                1
                        - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736)
                                                * t
                                        + 0.254829592)
                                * t
                                * Math.exp(-x * x);
        return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
    }

    private ModelHealth.CanaryAnalysis evidence(
            String verdict, List<ModelHealth.Criterion> criteria) {
        return new ModelHealth.CanaryAnalysis(
                state.commandId,
                state.canary,
                state.production,
                verdict,
                criteria,
                state.canaryScored,
                state.productionScored,
                state.passedWindows,
                state.failedWindows,
                state.decision,
                state.decisionCommandId);
    }

    /** One line for the decision's command: what was decided and the criteria behind it. */
    static String reason(ModelHealth.CanaryAnalysis evidence) {
        StringBuilder reason =
                new StringBuilder()
                        .append(evidence.decision())
                        .append(' ')
                        .append(Sanitized.id(evidence.canary()))
                        .append(" against ")
                        .append(Sanitized.id(evidence.production()))
                        .append(": ")
                        .append(evidence.canaryReviews())
                        .append(" canary reviews, ")
                        .append(evidence.passedWindows())
                        .append(" passing and ")
                        .append(evidence.failedWindows())
                        .append(" failed windows in a row");
        for (ModelHealth.Criterion c : evidence.criteria()) {
            reason.append("; ").append(c.name()).append(' ');
            reason.append(c.value() == null ? "-" : String.format(Locale.ROOT, "%.4f", c.value()));
            if (c.pValue() != null) {
                reason.append(String.format(Locale.ROOT, " (p %.2g)", c.pValue()));
            }
            reason.append(' ').append(c.outcome());
        }
        String text = reason.toString();
        int max = MAX_REASON;
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }

    private static double round(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }

    private static double roundP(double p) {
        return p < 1e-12 ? 0 : Double.parseDouble(String.format(Locale.ROOT, "%.3g", p));
    }
}
