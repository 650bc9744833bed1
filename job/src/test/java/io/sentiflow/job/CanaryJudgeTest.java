package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sentiflow.schemas.CanaryCriteria;
import io.sentiflow.schemas.ModelHealth;
import java.util.List;
import org.junit.jupiter.api.Test;

class CanaryJudgeTest {
    private static final CanaryCriteria DEFAULTS = CanaryCriteria.defaults();

    /**
     * One window's figures: {@code n} reviews, a share of them positive (score 0.8, else 0.2),
     * labelled with the given accuracy when {@code labelled}, each taking {@code latencyMs}.
     */
    private static HealthFigures window(
            int n, double positiveShare, double accuracy, boolean labelled, long latencyMs) {
        HealthFigures figures = new HealthFigures();
        for (int i = 0; i < n; i++) {
            boolean positive = i % 100 < positiveShare * 100;
            boolean correct = (i * 37) % 100 < accuracy * 100;
            String label = null;
            if (labelled) {
                label = positive == correct ? "positive" : "negative";
            }
            figures.addScored(positive ? 0.8f : 0.2f, latencyMs, 20, 0, label);
        }
        return figures;
    }

    private static CanaryJudge judge(CanaryCriteria criteria) {
        return new CanaryJudge("canary-1", "m@2", "m@1", criteria);
    }

    /** The criterion of that name in an analysis. */
    static ModelHealth.Criterion criterion(ModelHealth.CanaryAnalysis evidence, String name) {
        return evidence.criteria().stream()
                .filter(c -> c.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void aLessAccurateCanaryShouldBeRolledBackAtOnceOnItsLabels() {
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis evidence =
                judge.judge(window(150, 0.5, 0.35, true, 10), window(1350, 0.5, 0.7, true, 10));

        assertThat(judge.decision()).isEqualTo(CanaryJudge.ROLLBACK);
        assertThat(evidence.verdict()).isEqualTo("rollback");
        assertThat(evidence.decisionCommandId())
                .isEqualTo(CanaryJudge.decisionCommandId("canary-1", "rollback"));
        ModelHealth.Criterion accuracy = criterion(evidence, "accuracy-difference");
        assertThat(accuracy.outcome()).isEqualTo("fail");
        assertThat(accuracy.value()).isCloseTo(-0.35, within(0.02));
        assertThat(accuracy.pValue()).isLessThan(DEFAULTS.alpha());
    }

    @Test
    void aCanaryNotShownAsGoodShouldNeverPassAWindowOnItsLabels() {
        // 0.75 against 0.85 on 100 labels a side: not shown worse by more than 0.05 (p 0.19), not
        // shown within 0.05 either.
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis evidence =
                judge.judge(window(100, 0.5, 0.75, true, 10), window(100, 0.5, 0.85, true, 10));
        assertThat(criterion(evidence, "accuracy-difference").outcome()).isEqualTo("inconclusive");
        assertThat(evidence.verdict()).isEqualTo("inconclusive");
        assertThat(evidence.passedWindows()).isZero();
        assertThat(judge.decision()).isNull();
    }

    @Test
    void labelsSampledBecauseAModelWasUnsureShouldNotCount() {
        CanaryJudge judge = judge(DEFAULTS);
        HealthFigures canary = window(200, 0.5, 0, false, 10);
        HealthFigures production = window(200, 0.5, 0, false, 10);
        for (int i = 0; i < 150; i++) {
            // Labels joined only because the canary was unsure of these reviews, all wrong.
            canary.addLabelled(true, false, false);
            production.addLabelled(true, true, true);
        }
        ModelHealth.CanaryAnalysis evidence = judge.judge(canary, production);
        assertThat(criterion(evidence, "accuracy-difference").outcome()).isEqualTo("not-judged");
        assertThat(judge.decision()).isNull();
    }

    @Test
    void tooFewLabelsShouldNotJudgeAccuracyHoweverBadItLooks() {
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis evidence =
                judge.judge(window(60, 0.5, 0.1, true, 10), window(540, 0.5, 0.9, true, 10));

        assertThat(criterion(evidence, "accuracy-difference").outcome()).isEqualTo("not-judged");
        assertThat(judge.decision()).isNull();
    }

    @Test
    void aCanaryLikeProductionShouldBePromotedOnlyOnceItScoredMinReviews() {
        CanaryJudge judge = judge(DEFAULTS);
        String[] verdicts = new String[5];
        for (int w = 0; w < 5; w++) {
            ModelHealth.CanaryAnalysis evidence =
                    judge.judge(window(100, 0.5, 0, false, 10), window(100, 0.5, 0, false, 10));
            verdicts[w] = evidence.verdict();
            if (w < 4) {
                assertThat(judge.decision()).as("window %d", w).isNull();
                assertThat(evidence.canaryReviews()).isLessThan(DEFAULTS.minReviews());
            } else {
                assertThat(evidence.canaryReviews()).isEqualTo(DEFAULTS.minReviews());
            }
        }
        // Nothing compared in the first (100 reviews a side, 200 needed); then three passing
        // windows by the fourth, and it waited for its 500 reviews.
        assertThat(verdicts).containsExactly("idle", "pass", "pass", "pass", "promote");
        assertThat(judge.decision()).isEqualTo(CanaryJudge.PROMOTE);
    }

    @Test
    void aCanaryShouldNotBePromotedBeforeItWasComparedAtAll() {
        // 500 reviews in three windows, but production scored too few to compare with.
        CanaryJudge judge = judge(DEFAULTS);
        for (int w = 0; w < 4; w++) {
            judge.judge(window(200, 0.5, 0, false, 10), window(20, 0.5, 0, false, 10));
        }
        assertThat(judge.decision()).isNull();
    }

    @Test
    void aCanaryThatScoresDifferentlyWithoutLabelsShouldFailWindowsUntilRolledBack() {
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis last = null;
        int windows = 0;
        while (judge.decision() == null && windows < 20) {
            last = judge.judge(window(200, 0.9, 0, false, 10), window(200, 0.5, 0, false, 10));
            windows++;
        }
        assertThat(judge.decision()).isEqualTo(CanaryJudge.ROLLBACK);
        assertThat(windows).isEqualTo(DEFAULTS.maxFailedWindows());
        assertThat(criterion(last, "positive-rate-difference").outcome()).isEqualTo("fail");
        assertThat(criterion(last, "psi").outcome()).isEqualTo("fail");
    }

    @Test
    void labelsShouldOutrankTheProxies() {
        // A better model scores differently: the proxies alone would roll it back.
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis last = null;
        for (int w = 0; w < 3; w++) {
            last = judge.judge(window(200, 0.9, 0.8, true, 10), window(200, 0.5, 0.6, true, 10));
        }
        assertThat(judge.decision()).isEqualTo(CanaryJudge.PROMOTE);
        assertThat(criterion(last, "positive-rate-difference").outcome()).isEqualTo("reported");
        assertThat(criterion(last, "psi").outcome()).isEqualTo("reported");
        assertThat(criterion(last, "accuracy-difference").outcome()).isEqualTo("pass");
    }

    @Test
    void scoringErrorsShouldRollBackAtOnce() {
        CanaryJudge judge = judge(DEFAULTS);
        HealthFigures canary = window(50, 0.5, 0, false, 10);
        canary.failed = 5;
        ModelHealth.CanaryAnalysis evidence = judge.judge(canary, window(500, 0.5, 0, false, 10));
        assertThat(judge.decision()).isEqualTo(CanaryJudge.ROLLBACK);
        assertThat(criterion(evidence, "error-rate-increase").value())
                .isCloseTo(5 / 55.0, within(0.001));
    }

    @Test
    void oneErrorAmongTheFirstFewReviewsShouldNotRollBack() {
        CanaryJudge judge = judge(DEFAULTS);
        HealthFigures canary = window(4, 0.5, 0, false, 10);
        canary.failed = 1;
        ModelHealth.CanaryAnalysis evidence = judge.judge(canary, window(50, 0.5, 0, false, 10));
        assertThat(criterion(evidence, "error-rate-increase").outcome()).isEqualTo("not-judged");
        assertThat(judge.decision()).isNull();
        // 1 error in 50 is 2 %, over the limit, but one error is not yet a pattern.
        HealthFigures later = window(45, 0.5, 0, false, 10);
        ModelHealth.CanaryAnalysis after = judge.judge(later, window(500, 0.5, 0, false, 10));
        assertThat(criterion(after, "error-rate-increase").value()).isGreaterThan(0.01);
        assertThat(criterion(after, "error-rate-increase").outcome()).isEqualTo("pass");
        assertThat(judge.decision()).isNull();
    }

    @Test
    void aDecisionThatDoesNotApplyShouldBeSaidToBePending() {
        CanaryJudge judge = judge(DEFAULTS);
        HealthFigures canary = window(50, 0.5, 0, false, 10);
        canary.failed = 5;
        judge.judge(canary, window(500, 0.5, 0, false, 10));
        assertThat(judge.decision()).isEqualTo(CanaryJudge.ROLLBACK);
        for (int w = 0; w < 3; w++) {
            assertThat(judge.decisionPending(3)).isFalse();
            judge.judge(window(50, 0.5, 0, false, 10), window(50, 0.5, 0, false, 10));
        }
        assertThat(judge.decisionPending(3)).isTrue();
    }

    @Test
    void aSlowCanaryShouldFailItsWindowsButOnlyPastTheRatio() {
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis fast =
                judge.judge(window(100, 0.5, 0, false, 90), window(100, 0.5, 0, false, 10));
        // 90 ms against production's 10 ms (taken as 50): 1.8, within 2.
        assertThat(criterion(fast, "p99-ratio").outcome()).isEqualTo("pass");
        ModelHealth.CanaryAnalysis slow =
                judge.judge(window(100, 0.5, 0, false, 400), window(100, 0.5, 0, false, 100));
        assertThat(criterion(slow, "p99-ratio").outcome()).isEqualTo("fail");
        assertThat(slow.verdict()).isEqualTo("fail");
        assertThat(slow.passedWindows()).isZero();
    }

    @Test
    void windowsWithTooFewCanaryReviewsShouldNotCount() {
        CanaryJudge judge = judge(DEFAULTS);
        ModelHealth.CanaryAnalysis idle =
                judge.judge(window(5, 0.5, 0, false, 10), window(100, 0.5, 0, false, 10));
        assertThat(idle.verdict()).isEqualTo("idle");
        assertThat(idle.passedWindows()).isZero();
        assertThat(judge.judge(null, null).verdict()).isEqualTo("idle");
    }

    @Test
    void aRestoredJudgeShouldContinueWhereItStoodAndNeverDecideTwice() throws Exception {
        CanaryCriteria quick =
                new CanaryCriteria(300, 2, 3, 0.01, 2.0, 0.15, 0.25, 200, 100, 0.01, 0.05);
        CanaryJudge judge = judge(quick);
        judge.judge(window(100, 0.5, 0, false, 10), window(100, 0.5, 0, false, 10));
        judge.judge(window(100, 0.5, 0, false, 10), window(100, 0.5, 0, false, 10));

        CanaryJudge restored = CanaryJudge.restore(judge.snapshot());
        ModelHealth.CanaryAnalysis third =
                restored.judge(window(100, 0.5, 0, false, 10), window(100, 0.5, 0, false, 10));
        assertThat(third.passedWindows()).isEqualTo(2);
        assertThat(third.canaryReviews()).isEqualTo(300);
        assertThat(restored.decision()).isEqualTo(CanaryJudge.PROMOTE);

        CanaryJudge afterDecision = CanaryJudge.restore(restored.snapshot());
        ModelHealth.CanaryAnalysis later =
                afterDecision.judge(window(100, 0.5, 0.1, true, 10), window(100, 0.5, 1, true, 10));
        assertThat(later.verdict()).isEqualTo("decided");
        assertThat(later.decision()).isEqualTo(CanaryJudge.PROMOTE);
        assertThat(later.canaryReviews()).isEqualTo(300);
    }

    @Test
    void theJudgeShouldFollowOnlyItsOwnCanaryCommandAndProduction() {
        CanaryJudge judge = judge(DEFAULTS);
        RoutingTable routed =
                new RoutingTable("m@1", List.of(), "m@2", 10, null, "canary-1", DEFAULTS);
        assertThat(judge.judges(routed)).isTrue();
        assertThat(
                        judge.judges(
                                new RoutingTable(
                                        "m@1", List.of(), "m@2", 10, null, "other", DEFAULTS)))
                .isFalse();
        assertThat(
                        judge.judges(
                                new RoutingTable(
                                        "m@3", List.of(), "m@2", 10, null, "canary-1", DEFAULTS)))
                .isFalse();
        assertThat(judge.judges(RoutingTable.initial("m@1"))).isFalse();
    }

    @Test
    void theTestShouldGiveTheTextbookPValues() {
        assertThat(CanaryJudge.normalCdf(0)).isCloseTo(0.5, within(1e-7));
        assertThat(CanaryJudge.normalCdf(-2.3263)).isCloseTo(0.01, within(1e-5));
        assertThat(CanaryJudge.normalCdf(1.96)).isCloseTo(0.975, within(1e-5));
        // 60 of 100 against 70 of 100: z = -1.49, one-sided p = 0.068; against a margin of 0.05,
        // z = -0.75, p = 0.23.
        assertThat(CanaryJudge.pCanaryWorse(60, 100, 70, 100, 0)).isCloseTo(0.068, within(0.001));
        assertThat(CanaryJudge.pCanaryWorse(60, 100, 70, 100, 0.05))
                .isCloseTo(0.228, within(0.002));
    }
}
