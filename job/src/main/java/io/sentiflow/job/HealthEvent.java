package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;

/** One input of {@link AggregateHealth}: exactly one of its fields is set. A POJO. */
public class HealthEvent {
    public HealthPartial partial;
    public String deadLetterReason;
    public LabelledPrediction feedback;
    public ModelEvent model;

    public HealthEvent() {}

    public static HealthEvent of(HealthPartial partial) {
        HealthEvent event = new HealthEvent();
        event.partial = partial;
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

    public static HealthEvent of(DeadLetter letter) {
        HealthEvent event = new HealthEvent();
        event.deadLetterReason = letter.reason().name();
        return event;
    }
}
