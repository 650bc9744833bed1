package io.sentiflow.job;

import io.sentiflow.schemas.Labels;
import io.sentiflow.schemas.ReviewLabel;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins the job's predictions with true labels from the review-labels topic, by review id,
 * whichever comes first. Only what can get a label waits ({@link LabelJoin}): the predictions the
 * graph sends here (reviews sampled for labelling and a hashed fraction of the rest), and labels of
 * that fraction that arrive before their prediction; any other label finds its prediction or is
 * dropped and counted.
 *
 * <p>Each side waits at most {@code ttlMs} of processing time, enforced by state TTL rather than a
 * timer per key: expired entries are never read, are cleaned up as records pass and are left out of
 * full snapshots (on RocksDB by its compaction filter). So the state holds at most (reviews per
 * second that may wait) × ttl entries of a version name and two booleans.
 */
public final class JoinLabelFeedback
        extends KeyedCoProcessFunction<String, Prediction, ReviewLabel, LabelledPrediction> {
    private static final long serialVersionUID = 1L;

    /**
     * What one waiting prediction or label costs in a checkpoint, at most: its key and the review
     * id again (ids of usual length), the version name, a flag and the TTL's timestamp. Measured in
     * {@code LabelJoinStateEndToEndTest}; ids near their 256-character limit cost more.
     */
    public static final long MAX_BYTES_PER_WAITING = 100;

    private final long ttlMs;
    private final LabelJoin join;
    private transient ValueState<Prediction> prediction;
    private transient ValueState<Boolean> label;
    private transient Counter labelsUnmatched;

    public JoinLabelFeedback(long ttlMs, LabelJoin join) {
        this.ttlMs = ttlMs;
        this.join = join;
    }

    @Override
    public void open(OpenContext openContext) {
        StateTtlConfig ttl =
                StateTtlConfig.newBuilder(Duration.ofMillis(ttlMs))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupFullSnapshot()
                        // Cleaned as state is touched, not on every record: the join sees few.
                        .cleanupIncrementally(10, false)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build();
        ValueStateDescriptor<Prediction> predictionDescriptor =
                new ValueStateDescriptor<>("prediction", Prediction.class);
        predictionDescriptor.enableTimeToLive(ttl);
        ValueStateDescriptor<Boolean> labelDescriptor =
                new ValueStateDescriptor<>("label", Boolean.class);
        labelDescriptor.enableTimeToLive(ttl);
        prediction = getRuntimeContext().getState(predictionDescriptor);
        label = getRuntimeContext().getState(labelDescriptor);
        labelsUnmatched = getRuntimeContext().getMetricGroup().counter("labelsUnmatched");
    }

    @Override
    public void processElement1(Prediction scored, Context ctx, Collector<LabelledPrediction> out)
            throws Exception {
        Boolean known = label.value();
        if (known != null) {
            out.collect(
                    new LabelledPrediction(
                            scored.modelVersion,
                            scored.positive,
                            known,
                            join.inFraction(scored.reviewId)));
            label.clear();
        } else {
            prediction.update(scored);
        }
    }

    @Override
    public void processElement2(
            ReviewLabel feedback, Context ctx, Collector<LabelledPrediction> out) throws Exception {
        boolean actual = Labels.POSITIVE.equals(feedback.label());
        Prediction known = prediction.value();
        if (known != null) {
            out.collect(
                    new LabelledPrediction(
                            known.modelVersion,
                            known.positive,
                            actual,
                            join.inFraction(feedback.reviewId())));
            prediction.clear();
        } else if (join.waitsForPrediction(feedback.reviewId())) {
            label.update(actual);
        } else {
            labelsUnmatched.inc();
        }
    }
}
