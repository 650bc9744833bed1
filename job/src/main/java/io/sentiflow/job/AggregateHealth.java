package io.sentiflow.job;

import io.sentiflow.model.ModelManifest;
import io.sentiflow.schemas.ModelHealth;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Turns scored reviews, batches and dead letters into one {@code model-health.v1} record per model
 * version per processing-time window, with drift against the model's training reference.
 *
 * <p>A custom operator, not a window, so the last partial window is still reported when a bounded
 * input ends. Runs at parallelism 1: it sees every event of the job. Health is monitoring, not
 * data: a window in progress at a failure is not replayed.
 */
public final class AggregateHealth extends AbstractStreamOperator<ModelHealth>
        implements OneInputStreamOperator<HealthEvent, ModelHealth>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final ModelCatalog catalog;
    private final long windowMs;
    private final HealthAccumulator.Thresholds thresholds;

    /** Each version's training reference, read from its manifest on first sight. */
    private transient Map<String, ModelManifest> references;

    private transient RoutingTable routing;
    private transient long windowStart;
    private transient Map<String, HealthAccumulator> byVersion;
    private transient Map<String, Long> deadLetters;

    /** The last window's record of each model version, behind the per-version gauges. */
    private transient Map<String, ModelHealth> latest;

    public AggregateHealth(
            ModelCatalog catalog,
            long windowMs,
            double driftThreshold,
            double errorRateThreshold,
            long p99ThresholdMs) {
        this.catalog = catalog;
        this.windowMs = windowMs;
        this.thresholds =
                new HealthAccumulator.Thresholds(
                        driftThreshold, errorRateThreshold, p99ThresholdMs);
    }

    @Override
    public void open() throws Exception {
        super.open();
        references = new java.util.HashMap<>();
        latest = new java.util.HashMap<>();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        startWindow(now - Math.floorMod(now, windowMs));
    }

    private void startWindow(long start) {
        windowStart = start;
        byVersion = new LinkedHashMap<>();
        deadLetters = new TreeMap<>();
        getProcessingTimeService()
                .registerTimer(
                        start + windowMs,
                        time -> {
                            emit(start + windowMs);
                            startWindow(start + windowMs);
                        });
    }

    @Override
    public void processElement(StreamRecord<HealthEvent> element) {
        HealthEvent event = element.getValue();
        if (event.scored != null) {
            byVersion
                    .computeIfAbsent(event.scored.modelVersion, HealthAccumulator::new)
                    .add(event.scored);
        } else if (event.batch != null) {
            byVersion
                    .computeIfAbsent(event.batch.modelVersion, HealthAccumulator::new)
                    .add(event.batch);
        } else if (event.feedback != null) {
            byVersion
                    .computeIfAbsent(event.feedback.modelVersion, HealthAccumulator::new)
                    .addLabelled(event.feedback.predictedPositive, event.feedback.actualPositive);
        } else if (event.model != null) {
            if (event.model.routing != null && event.model.subtask == 0) {
                routing = event.model.routing;
            }
            HealthAccumulator owner = ownerOf(event.model);
            if (owner != null) {
                owner.add(event.model);
            }
        } else if (event.shadow != null) {
            byVersion
                    .computeIfAbsent(event.shadow.shadowVersion, HealthAccumulator::new)
                    .add(event.shadow);
        } else if (event.deadLetterReason != null) {
            deadLetters.merge(event.deadLetterReason, 1L, Long::sum);
        }
    }

    /**
     * The record a model event belongs to: its version's, when the version exists (it has a
     * manifest); else production's (a refused command may name any string, and must not leave a
     * record, a gauge or a cache entry behind); null before the routing is known.
     */
    private HealthAccumulator ownerOf(ModelEvent event) {
        String version = event.modelVersion;
        if (version == null || (!byVersion.containsKey(version) && reference(version) == null)) {
            version = routing == null ? null : routing.production();
        }
        return version == null ? null : byVersion.computeIfAbsent(version, HealthAccumulator::new);
    }

    private void emit(long end) {
        for (Map.Entry<String, HealthAccumulator> entry : byVersion.entrySet()) {
            ModelManifest manifest = reference(entry.getKey());
            ModelHealth record =
                    entry.getValue()
                            .toRecord(
                                    windowStart,
                                    end,
                                    deadLetters,
                                    manifest == null ? null : manifest.referenceHistogram(),
                                    manifest == null ? null : manifest.referenceOovRate(),
                                    thresholds,
                                    routing);
            if (latest.put(record.modelVersion(), record) == null) {
                registerGauges(record.modelVersion());
            }
            output.collect(new StreamRecord<>(record));
        }
        byVersion = new LinkedHashMap<>();
        deadLetters = new TreeMap<>();
    }

    /**
     * A version's manifest, read once; null for a version the catalog does not know (not cached, so
     * unknown names allocate nothing lasting).
     */
    private ModelManifest reference(String version) {
        ModelManifest manifest = references.get(version);
        if (manifest == null) {
            try {
                manifest = catalog.manifest(version);
                references.put(version, manifest);
            } catch (java.io.IOException | RuntimeException e) {
                LOG.debug("no manifest for {}: {}", version, e.getMessage());
            }
        }
        return manifest;
    }

    /** Gauges of the last window per model version, for Prometheus (label {@code modelVersion}). */
    private void registerGauges(String version) {
        MetricGroup group = getMetricGroup().addGroup("modelVersion", version);
        group.gauge("drift", (Gauge<Double>) () -> orZero(latest.get(version).drift()));
        group.gauge(
                "throughputPerSecond",
                (Gauge<Double>) () -> latest.get(version).throughputPerSecond());
        group.gauge("positiveRate", (Gauge<Double>) () -> latest.get(version).positiveRate());
        group.gauge("accuracy", (Gauge<Double>) () -> orZero(latest.get(version).accuracy()));
        group.gauge("latencyP99Ms", (Gauge<Long>) () -> latest.get(version).latencyMs().p99());
        group.gauge(
                "deviceMemoryBytes",
                (Gauge<Long>)
                        () -> {
                            Long bytes = latest.get(version).deviceMemoryBytes();
                            return bytes == null ? 0L : bytes;
                        });
        group.gauge(
                "shadowAgreementRate",
                (Gauge<Double>)
                        () -> {
                            ModelHealth.Shadow shadow = latest.get(version).shadow();
                            return shadow == null ? 0 : shadow.agreementRate();
                        });
    }

    private static double orZero(Double value) {
        return value == null ? 0 : value;
    }

    @Override
    public void endInput() {
        emit(getProcessingTimeService().getCurrentProcessingTime());
    }
}
