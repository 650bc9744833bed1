package io.sentiflow.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The routing the job has applied, and how far it has judged the control topic ({@code
 * model-routing.v1}, key {@code routing}, on a compacted topic): written after every control
 * command the job applied or refused, so that a fresh start restores this routing and follows only
 * the commands after {@code controlOffset}, instead of judging the whole command log again against
 * today's registry.
 *
 * @param production the production version
 * @param previous earlier production versions, most recent last (rollback targets)
 * @param canary the canary version, or null
 * @param canaryWeight the canary's percent of reviews (0 without a canary)
 * @param shadow the shadow version, or null
 * @param controlTopic the control topic the position belongs to
 * @param controlPartition its partition
 * @param controlOffset every command at or before this offset has been applied or refused
 * @param commandId the command judged last, or null
 * @param updatedAt when, epoch milliseconds
 * @param canaryCommandId the command that started the canary, or null
 * @param canaryAnalysis the criteria the job judges the canary by, or null: judged by a person
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelRouting(
        String production,
        List<String> previous,
        String canary,
        int canaryWeight,
        String shadow,
        String controlTopic,
        int controlPartition,
        long controlOffset,
        String commandId,
        long updatedAt,
        String canaryCommandId,
        CanaryCriteria canaryAnalysis) {

    /** A routing with a canary a person judges (or none). */
    public ModelRouting(
            String production,
            List<String> previous,
            String canary,
            int canaryWeight,
            String shadow,
            String controlTopic,
            int controlPartition,
            long controlOffset,
            String commandId,
            long updatedAt) {
        this(
                production,
                previous,
                canary,
                canaryWeight,
                shadow,
                controlTopic,
                controlPartition,
                controlOffset,
                commandId,
                updatedAt,
                null,
                null);
    }

    public ModelRouting {
        Contracts.require(production, "production", "ModelRouting");
        Contracts.require(controlTopic, "controlTopic", "ModelRouting");
        previous = previous == null ? List.of() : List.copyOf(previous);
        if (canaryWeight < 0 || canaryWeight > 100 || controlPartition < 0 || controlOffset < -1) {
            throw new ContractViolation(
                    DeadLetter.Reason.INVALID_FIELD,
                    "ModelRouting: canaryWeight 0-100, controlPartition >= 0, controlOffset >= -1");
        }
    }
}
