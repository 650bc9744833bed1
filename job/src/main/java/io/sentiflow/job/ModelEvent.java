package io.sentiflow.job;

import io.sentiflow.schemas.CanaryCriteria;
import io.sentiflow.schemas.Json;
import java.util.List;

/**
 * Something that happened to a model version in a {@link ScoreBatch} subtask: loaded, unloaded,
 * refused, or the routing changed. A POJO, on ScoreBatch's side output, for model health; the
 * routing after the event travels as its four fields.
 */
public class ModelEvent {
    /** What happened; the names are the wire values in model-health records. */
    public enum Type {
        LOADED,
        UNLOADED,
        REFUSED,
        ROUTED
    }

    public Type type;
    public String modelVersion;
    public String commandId;
    public String issuedBy;
    public int subtask;
    public String device;
    public String message;
    public long at;

    /** The routing after the event. */
    public String production;

    public String canary;
    public int canaryWeight;
    public String shadow;
    public String canaryCommandId;

    /** The canary's analysis criteria as JSON ({@code model-control.v1} analysis), or null. */
    public String canaryAnalysis;

    public ModelEvent() {}

    static ModelEvent of(
            Type type,
            String modelVersion,
            String commandId,
            String issuedBy,
            int subtask,
            String device,
            String message,
            RoutingTable routing) {
        ModelEvent event = new ModelEvent();
        event.type = type;
        event.modelVersion = modelVersion;
        event.commandId = commandId;
        event.issuedBy = issuedBy;
        event.subtask = subtask;
        event.device = device;
        event.message = message;
        event.at = System.currentTimeMillis();
        event.production = routing.production();
        event.canary = routing.canary();
        event.canaryWeight = routing.canaryWeight();
        event.shadow = routing.shadow();
        event.canaryCommandId = routing.canaryCommandId();
        event.canaryAnalysis =
                routing.canaryAnalysis() == null ? null : Json.toString(routing.canaryAnalysis());
        return event;
    }

    /** The routing after the event (its rollback history is not carried). */
    RoutingTable routing() {
        return new RoutingTable(
                production,
                List.of(),
                canary,
                canaryWeight,
                shadow,
                canaryCommandId,
                criteria(canaryAnalysis));
    }

    /** Criteria from their JSON; null stays null. */
    static CanaryCriteria criteria(String json) {
        if (json == null) {
            return null;
        }
        try {
            return Json.mapper().readValue(json, CanaryCriteria.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
