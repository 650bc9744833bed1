package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Counts dead letters by reason (metric {@code deadLetters} in group {@code reason=<CODE>}),
 * passing them on.
 */
public final class CountDeadLetters extends RichMapFunction<DeadLetter, DeadLetter> {
    private static final long serialVersionUID = 1L;

    private transient Map<DeadLetter.Reason, Counter> byReason;

    @Override
    public void open(OpenContext openContext) {
        byReason = new EnumMap<>(DeadLetter.Reason.class);
        for (DeadLetter.Reason reason : DeadLetter.Reason.values()) {
            byReason.put(
                    reason,
                    getRuntimeContext()
                            .getMetricGroup()
                            .addGroup("reason", reason.name())
                            .counter("deadLetters"));
        }
    }

    @Override
    public DeadLetter map(DeadLetter letter) {
        byReason.get(letter.reason()).inc();
        return letter;
    }
}
