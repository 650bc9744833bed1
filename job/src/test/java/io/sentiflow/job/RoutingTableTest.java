package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sentiflow.schemas.CanaryCriteria;
import io.sentiflow.schemas.ModelControl;
import org.junit.jupiter.api.Test;

/** An automatic canary's criteria ride with its routing, and its decisions apply only to it. */
class RoutingTableTest {
    private static final CanaryCriteria CRITERIA = CanaryCriteria.defaults();

    private static ModelControl command(
            String id, ModelControl.Action action, String version, Integer weight, String decides) {
        return new ModelControl(
                id,
                action,
                version,
                weight,
                "test",
                1L,
                null,
                null,
                action == ModelControl.Action.CANARY && decides == null ? CRITERIA : null,
                action == ModelControl.Action.CANARY ? null : decides,
                null);
    }

    private static RoutingTable autoCanary() throws Exception {
        return RoutingTable.initial("m@1")
                .apply(command("c-1", ModelControl.Action.CANARY, "m@2", 10, null));
    }

    @Test
    void anAutomaticCanaryShouldCarryItsCommandAndCriteriaUntilItEnds() throws Exception {
        RoutingTable table = autoCanary();
        assertThat(table.canaryCommandId()).isEqualTo("c-1");
        assertThat(table.canaryAnalysis()).isEqualTo(CRITERIA);
        RoutingTable shadowed =
                table.apply(command("s", ModelControl.Action.SHADOW, "m@3", null, null));
        assertThat(shadowed.canaryAnalysis()).isEqualTo(CRITERIA);

        RoutingTable cleared =
                table.apply(command("x", ModelControl.Action.CLEAR_CANARY, null, null, null));
        assertThat(cleared.canaryCommandId()).isNull();
        assertThat(cleared.canaryAnalysis()).isNull();
        RoutingTable promoted =
                table.apply(command("p", ModelControl.Action.DEPLOY, "m@2", null, "c-1"));
        assertThat(promoted.production()).isEqualTo("m@2");
        assertThat(promoted.canary()).isNull();
        assertThat(promoted.canaryAnalysis()).isNull();
    }

    @Test
    void anotherProductionShouldEndTheAnalysisAndVoidItsDecisions() throws Exception {
        RoutingTable table =
                autoCanary().apply(command("d", ModelControl.Action.DEPLOY, "m@3", null, null));
        assertThat(table.canary()).isEqualTo("m@2");
        assertThat(table.canaryAnalysis()).isNull();
        assertThatThrownBy(
                        () ->
                                table.apply(
                                        command(
                                                "p",
                                                ModelControl.Action.DEPLOY,
                                                "m@2",
                                                null,
                                                "c-1")))
                .isInstanceOf(RoutingTable.NotApplicable.class);
        assertThat(
                        table.apply(command("r", ModelControl.Action.ROLLBACK, null, null, null))
                                .canaryAnalysis())
                .isNull();
    }

    @Test
    void criteriaWithoutTheCommandTheyBelongToShouldNotSurvive() {
        // A hand-written routing record: no judge can be keyed to it, so no analysis.
        assertThat(new RoutingTable("m@1", null, "m@2", 10, null, null, CRITERIA).canaryAnalysis())
                .isNull();
    }

    @Test
    void aDecisionShouldNotApplyToACanaryAPersonJudges() throws Exception {
        RoutingTable manual =
                RoutingTable.initial("m@1")
                        .apply(
                                new ModelControl(
                                        "c-1", ModelControl.Action.CANARY, "m@2", 10, "ops", 1L));
        assertThat(manual.canaryCommandId()).isEqualTo("c-1");
        assertThatThrownBy(
                        () ->
                                manual.apply(
                                        command(
                                                "x",
                                                ModelControl.Action.CLEAR_CANARY,
                                                null,
                                                null,
                                                "c-1")))
                .isInstanceOf(RoutingTable.NotApplicable.class);
    }

    @Test
    void aDecisionShouldApplyOnlyToTheCanaryWhoseAnalysisMadeIt() throws Exception {
        RoutingTable table = autoCanary();
        // A person replaced the canary meanwhile: the first canary's decisions are void.
        RoutingTable replaced =
                table.apply(command("c-2", ModelControl.Action.CANARY, "m@3", 20, null));
        assertThatThrownBy(
                        () ->
                                replaced.apply(
                                        command(
                                                "p",
                                                ModelControl.Action.CLEAR_CANARY,
                                                null,
                                                null,
                                                "c-1")))
                .isInstanceOf(RoutingTable.NotApplicable.class)
                .hasMessageContaining("no longer routed");
        // A decision promotes its canary, no other version.
        assertThatThrownBy(
                        () ->
                                table.apply(
                                        command(
                                                "p",
                                                ModelControl.Action.DEPLOY,
                                                "m@3",
                                                null,
                                                "c-1")))
                .isInstanceOf(RoutingTable.NotApplicable.class)
                .hasMessageContaining("promotes only its canary");
        assertThat(
                        table.apply(
                                        command(
                                                "r",
                                                ModelControl.Action.CLEAR_CANARY,
                                                null,
                                                null,
                                                "c-1"))
                                .canary())
                .isNull();
    }
}
