package io.sentiflow.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.sentiflow.schemas.CanaryCriteria;
import io.sentiflow.schemas.ModelControl;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Which model versions receive traffic: a production version, optionally a canary with a weight,
 * optionally a shadow, and the earlier production versions for rollback. Immutable; {@link #apply}
 * returns the table after a command. Plain Java, no Flink: the job keeps it in broadcast state as
 * JSON.
 *
 * @param production the version that scores every review not taken by the canary
 * @param previous earlier production versions, most recent last (for rollback; at most 10 kept)
 * @param canary the canary version, or null
 * @param canaryWeight percent of reviews the canary takes, 0–100
 * @param shadow the shadow version, or null: it scores production's reviews, results only compared
 * @param canaryCommandId the command that started the canary, or null
 * @param canaryAnalysis the criteria the job judges the canary by, or null: a person judges it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RoutingTable(
        String production,
        List<String> previous,
        String canary,
        int canaryWeight,
        String shadow,
        String canaryCommandId,
        CanaryCriteria canaryAnalysis)
        implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final int HISTORY = 10;

    public RoutingTable {
        if (production == null || production.isBlank()) {
            throw new IllegalArgumentException("a routing table needs a production version");
        }
        previous = previous == null ? List.of() : List.copyOf(previous);
        if (canary == null || canaryCommandId == null) {
            canaryCommandId = canary == null ? null : canaryCommandId;
            canaryAnalysis = null;
        }
    }

    /** A table whose canary, if any, a person judges. */
    public RoutingTable(
            String production,
            List<String> previous,
            String canary,
            int canaryWeight,
            String shadow) {
        this(production, previous, canary, canaryWeight, shadow, null, null);
    }

    /** The same table with {@code shadow} as its shadow (null: none). */
    private RoutingTable withShadow(String shadow) {
        return new RoutingTable(
                production,
                previous,
                canary,
                canaryWeight,
                shadow,
                canaryCommandId,
                canaryAnalysis);
    }

    /** A command that is well formed but cannot apply to the current table. */
    public static final class NotApplicable extends Exception {
        private static final long serialVersionUID = 1L;

        NotApplicable(String message) {
            super(message);
        }
    }

    public static RoutingTable initial(String production) {
        return new RoutingTable(production, List.of(), null, 0, null);
    }

    /**
     * The bucket 0–99 of a review id: CRC-32 of its UTF-8 bytes, modulo 100. The same id always
     * lands in the same bucket, in every subtask and every run, so an A/B split is sticky.
     */
    public static int bucket(String reviewId) {
        CRC32 crc = new CRC32();
        crc.update(reviewId.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % 100);
    }

    /** The version that scores this review: the canary for buckets below its weight. */
    public String route(String reviewId) {
        if (canary != null && bucket(reviewId) < canaryWeight) {
            return canary;
        }
        return production;
    }

    /** Every version that scores reviews: production, canary and shadow. */
    public Set<String> versions() {
        Set<String> versions = new LinkedHashSet<>();
        versions.add(production);
        if (canary != null) {
            versions.add(canary);
        }
        if (shadow != null) {
            versions.add(shadow);
        }
        return versions;
    }

    /** The version rollback would return to, or null. */
    public String rollbackTarget() {
        return previous.isEmpty() ? null : previous.get(previous.size() - 1);
    }

    /** The version a command needs loaded before it can apply, or null when it needs none. */
    public String versionToLoad(ModelControl command) {
        return switch (command.action()) {
            case DEPLOY, CANARY, SHADOW -> command.modelVersion();
            case ROLLBACK -> rollbackTarget();
            case CLEAR_CANARY, CLEAR_SHADOW -> null;
        };
    }

    /** Throws when the command cannot apply to this table; {@link #apply} would throw the same. */
    public void check(ModelControl command) throws NotApplicable {
        apply(command);
    }

    /** The table after {@code command}. */
    public RoutingTable apply(ModelControl command) throws NotApplicable {
        String version = command.modelVersion();
        if (command.decides() != null) {
            checkDecision(command);
        }
        return switch (command.action()) {
            case DEPLOY -> {
                if (version.equals(production)) {
                    throw new NotApplicable(version + " is already production");
                }
                yield new RoutingTable(
                        version,
                        pushed(production),
                        version.equals(canary) ? null : canary,
                        version.equals(canary) ? 0 : canaryWeight,
                        version.equals(shadow) ? null : shadow,
                        // Another production ends an automatic analysis: a person judges the
                        // canary from here (its evidence was against the old production).
                        null,
                        null);
            }
            case CANARY -> {
                if (version.equals(production)) {
                    throw new NotApplicable(version + " is production: it cannot be its canary");
                }
                yield new RoutingTable(
                        production,
                        previous,
                        version,
                        command.weight(),
                        version.equals(shadow) ? null : shadow,
                        command.commandId(),
                        command.analysis());
            }
            case SHADOW -> {
                if (version.equals(production) || version.equals(canary)) {
                    throw new NotApplicable(
                            version + " already receives traffic: it cannot also be the shadow");
                }
                yield withShadow(version);
            }
            case ROLLBACK -> {
                if (rollbackTarget() == null) {
                    throw new NotApplicable(
                            "nothing to roll back to: no deploy has replaced " + production);
                }
                yield rolledBack();
            }
            case CLEAR_CANARY -> {
                if (canary == null) {
                    throw new NotApplicable("there is no canary to clear");
                }
                yield new RoutingTable(production, previous, null, 0, shadow);
            }
            case CLEAR_SHADOW -> {
                if (shadow == null) {
                    throw new NotApplicable("there is no shadow to clear");
                }
                yield withShadow(null);
            }
        };
    }

    /**
     * An automatic canary decision applies only to the automatic canary whose analysis made it: a
     * canary a person replaced, cleared or judges, or one whose production changed meanwhile, is
     * not promoted or cleared by a late decision.
     */
    private void checkDecision(ModelControl command) throws NotApplicable {
        if (canaryAnalysis == null || !command.decides().equals(canaryCommandId)) {
            throw new NotApplicable(
                    "the canary of command "
                            + Sanitized.id(command.decides())
                            + " is no longer routed: its analysis' decision is void");
        }
        if (command.action() == ModelControl.Action.DEPLOY
                && !command.modelVersion().equals(canary)) {
            throw new NotApplicable(
                    "an analysis promotes only its canary "
                            + canary
                            + ", not "
                            + Sanitized.id(command.modelVersion()));
        }
    }

    /** The table without {@code version} as canary or shadow (production stays). */
    public RoutingTable without(String version) {
        boolean isCanary = version.equals(canary);
        return new RoutingTable(
                production,
                previous,
                isCanary ? null : canary,
                isCanary ? 0 : canaryWeight,
                version.equals(shadow) ? null : shadow,
                canaryCommandId,
                canaryAnalysis);
    }

    /** The table after a rollback; the caller knows there is a target. */
    public RoutingTable rolledBack() {
        String target = rollbackTarget();
        if (target == null) {
            throw new IllegalStateException("nothing to roll back to");
        }
        return new RoutingTable(
                target,
                previous.subList(0, previous.size() - 1),
                target.equals(canary) ? null : canary,
                target.equals(canary) ? 0 : canaryWeight,
                target.equals(shadow) ? null : shadow,
                null,
                null);
    }

    private List<String> pushed(String version) {
        List<String> history = new ArrayList<>(previous);
        history.add(version);
        return history.size() > HISTORY
                ? history.subList(history.size() - HISTORY, history.size())
                : history;
    }
}
