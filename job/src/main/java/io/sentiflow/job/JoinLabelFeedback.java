package io.sentiflow.job;

import io.sentiflow.schemas.Labels;
import io.sentiflow.schemas.ReviewLabel;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins the job's predictions with true labels from the review-labels topic, by review id,
 * whichever comes first. Each side waits at most {@code ttlMs} of processing time for the other;
 * then its state and timer are dropped, so memory stays bounded however many labels never come.
 */
public final class JoinLabelFeedback
        extends KeyedCoProcessFunction<String, ScoredReview, ReviewLabel, LabelledPrediction> {
    private static final long serialVersionUID = 1L;

    private final long ttlMs;
    private transient ValueState<ScoredReview> prediction;
    private transient ValueState<String> label;
    private transient ValueState<Long> expiry;

    public JoinLabelFeedback(long ttlMs) {
        this.ttlMs = ttlMs;
    }

    @Override
    public void open(OpenContext openContext) {
        prediction =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>("prediction", ScoredReview.class));
        label = getRuntimeContext().getState(new ValueStateDescriptor<>("label", String.class));
        expiry = getRuntimeContext().getState(new ValueStateDescriptor<>("expiry", Long.class));
    }

    @Override
    public void processElement1(ScoredReview scored, Context ctx, Collector<LabelledPrediction> out)
            throws Exception {
        String known = label.value();
        if (known != null) {
            emit(scored, known, ctx, out);
        } else {
            prediction.update(scored);
            waitForTheOtherSide(ctx);
        }
    }

    @Override
    public void processElement2(
            ReviewLabel feedback, Context ctx, Collector<LabelledPrediction> out) throws Exception {
        ScoredReview known = prediction.value();
        if (known != null) {
            emit(known, feedback.label(), ctx, out);
        } else {
            label.update(feedback.label());
            waitForTheOtherSide(ctx);
        }
    }

    private void waitForTheOtherSide(Context ctx) throws Exception {
        if (expiry.value() == null) {
            long at = ctx.timerService().currentProcessingTime() + ttlMs;
            ctx.timerService().registerProcessingTimeTimer(at);
            expiry.update(at);
        }
    }

    private void emit(
            ScoredReview scored, String trueLabel, Context ctx, Collector<LabelledPrediction> out)
            throws Exception {
        out.collect(
                new LabelledPrediction(
                        scored.modelVersion,
                        scored.score >= 0.5,
                        Labels.POSITIVE.equals(trueLabel)));
        Long at = expiry.value();
        if (at != null) {
            ctx.timerService().deleteProcessingTimeTimer(at);
        }
        clear();
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<LabelledPrediction> out) {
        clear();
    }

    private void clear() {
        prediction.clear();
        label.clear();
        expiry.clear();
    }
}
