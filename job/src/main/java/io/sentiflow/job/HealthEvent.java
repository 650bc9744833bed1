package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;

/** One input of {@link AggregateHealth}: exactly one of its fields is set. A POJO. */
public class HealthEvent {
    public ScoredReview scored;
    public BatchStats batch;
    public String deadLetterReason;
    public LabelledPrediction feedback;
    public ModelEvent model;
    public ShadowStats shadow;

    public HealthEvent() {}

    public static HealthEvent of(ScoredReview scored) {
        HealthEvent event = new HealthEvent();
        event.scored = scored;
        return event;
    }

    public static HealthEvent of(BatchStats batch) {
        HealthEvent event = new HealthEvent();
        event.batch = batch;
        return event;
    }

    public static HealthEvent of(LabelledPrediction feedback) {
        HealthEvent event = new HealthEvent();
        event.feedback = feedback;
        return event;
    }

    public static HealthEvent of(ModelEvent model) {
        HealthEvent event = new HealthEvent();
        event.model = model;
        return event;
    }

    public static HealthEvent of(ShadowStats shadow) {
        HealthEvent event = new HealthEvent();
        event.shadow = shadow;
        return event;
    }

    public static HealthEvent of(DeadLetter letter) {
        HealthEvent event = new HealthEvent();
        event.deadLetterReason = letter.reason().name();
        return event;
    }
}
