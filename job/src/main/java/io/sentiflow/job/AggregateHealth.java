package io.sentiflow.job;

import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.trust.Keys;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelHealth;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Merges the scoring subtasks' per-window figures ({@link HealthPartial}), label feedback, model
 * events and dead letters into one {@code model-health.v1} record per model version per
 * processing-time window, with drift against the model's training reference.
 *
 * <p>A custom operator, not a window, so the last partial window is still reported when a bounded
 * input ends. Runs at parallelism 1, but sees only a handful of records per window and subtask:
 * every scoring subtask pre-aggregates its own window. A window is reported a grace period after it
 * ends, so the subtasks' partials of it have arrived; a partial later still counts in the window
 * being collected. Health is monitoring, not data: a window in progress at a failure is not
 * replayed.
 *
 * <p>It also judges an automatic canary ({@link CanaryJudge}) on each window it reports, attaches
 * the evidence to the canary's record, and sends the decision as a control command on {@link
 * #DECISIONS} — the control topic, the path a person's command takes — signed with {@code
 * control.sign-key} when one is set. The judge is checkpointed, and its decision leaves through a
 * transactional sink with the same checkpoint, so a restart neither loses nor repeats it.
 */
public final class AggregateHealth extends AbstractStreamOperator<ModelHealth>
        implements OneInputStreamOperator<HealthEvent, ModelHealth>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** Automatic canary decisions, for the control topic. */
    public static final OutputTag<ModelControl> DECISIONS =
            new OutputTag<>("canary-decisions", ContractType.MODEL_CONTROL);

    /** The alert of a decision that has not applied within a few windows (refused, or lost). */
    static final String PENDING_ALERT = "canary-decision-pending";

    /**
     * How the job decides canaries: at all ({@code control.decisions}), signed with which key (and
     * its id, checked at start), and after how many windows an unapplied decision is pending.
     */
    record Decisions(boolean enabled, String signKey, String signKeyId, int pendingWindows)
            implements java.io.Serializable {
        static Decisions of(JobConfig config, CommandTrust trust) {
            // A decision shows once the checkpoint after it commits: allow for that, and two more.
            long perCheckpoint =
                    (config.checkpointIntervalMs() + config.healthWindowMs() - 1)
                            / config.healthWindowMs();
            return new Decisions(
                    config.controlDecisions(),
                    config.controlSignKey(),
                    trust.decisionKeyId(),
                    (int) Math.max(3, Math.min(1_000, perCheckpoint + 2)));
        }
    }

    /** Who the job's unsigned decisions name as their issuer. */
    static final String ISSUER = "canary-analysis";

    private final ModelCatalog catalog;
    private final Decisions decisions;
    private transient PrivateKey decisionKey;
    private transient String decisionKeyId;

    /** The automatic canary being judged, or null. */
    private transient CanaryJudge judge;

    private transient ListState<String> judgeState;
    private final long windowMs;
    private final HealthAccumulator.Thresholds thresholds;

    /** Each version's training reference, read from its manifest on first sight. */
    private transient Map<String, ModelManifest> references;

    private transient RoutingTable routing;

    /** The windows being collected, by start: at most the current one and the one in grace. */
    private transient TreeMap<Long, Window> windows;

    /** Everything before this was reported. */
    private transient long reportedUpTo;

    /** One window's accumulators and dead letters. */
    private static final class Window {
        final Map<String, HealthAccumulator> byVersion = new LinkedHashMap<>();
        final Map<String, Long> deadLetters = new TreeMap<>();
    }

    /** The last window's record of each model version, behind the per-version gauges. */
    private transient Map<String, ModelHealth> latest;

    public AggregateHealth(
            ModelCatalog catalog,
            long windowMs,
            double driftThreshold,
            double errorRateThreshold,
            long p99ThresholdMs,
            double estimatedAccuracyDrop,
            Decisions decisions) {
        this.catalog = catalog;
        this.decisions = decisions;
        this.windowMs = windowMs;
        this.thresholds =
                new HealthAccumulator.Thresholds(
                        driftThreshold, errorRateThreshold, p99ThresholdMs, estimatedAccuracyDrop);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        judgeState =
                context.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>("canary-judge", Types.STRING));
        for (String saved : judgeState.get()) {
            judge = CanaryJudge.restore(saved);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        judgeState.update(judge == null ? List.of() : List.of(judge.snapshot()));
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (decisions.signKey() != null) {
            // This TaskManager's copy of the key must be the one checked where the job started.
            Path file = Path.of(decisions.signKey());
            decisionKeyId = CommandTrust.decisionKeyId(file);
            if (!decisionKeyId.equals(decisions.signKeyId())) {
                throw new IllegalStateException(
                        JobConfig.CONTROL_SIGN_KEY
                                + " on this TaskManager is not the key checked at start");
            }
            decisionKey = Keys.readPrivate(file).key();
        }
        references = new java.util.HashMap<>();
        latest = new java.util.HashMap<>();
        windows = new TreeMap<>();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        reportedUpTo = startOf(now);
        scheduleReport(reportedUpTo + windowMs);
    }

    private long startOf(long time) {
        return time - Math.floorMod(time, windowMs);
    }

    /** How long after its end a window waits for the subtasks' partials. */
    private long grace() {
        return Math.min(windowMs / 2, 2_000);
    }

    private void scheduleReport(long windowEnd) {
        getProcessingTimeService()
                .registerTimer(
                        windowEnd + grace(),
                        time -> {
                            report(windowEnd - windowMs, windowEnd);
                            scheduleReport(windowEnd + windowMs);
                        });
    }

    /** The window a record belongs to: its own when still open, else the one being collected. */
    private Window window(long start) {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        long open = start < reportedUpTo ? Math.max(reportedUpTo, startOf(now)) : start;
        return windows.computeIfAbsent(open, s -> new Window());
    }

    private Window current() {
        return window(startOf(getProcessingTimeService().getCurrentProcessingTime()));
    }

    @Override
    public void processElement(StreamRecord<HealthEvent> element) {
        HealthEvent event = element.getValue();
        if (event.partial != null) {
            window(event.partial.windowStart)
                    .byVersion
                    .computeIfAbsent(event.partial.modelVersion, HealthAccumulator::new)
                    .add(HealthFigures.of(event.partial));
        } else if (event.feedback != null) {
            current()
                    .byVersion
                    .computeIfAbsent(event.feedback.modelVersion, HealthAccumulator::new)
                    .addLabelled(
                            event.feedback.predictedPositive,
                            event.feedback.actualPositive,
                            event.feedback.representative);
        } else if (event.model != null) {
            if (event.model.production != null && event.model.subtask == 0) {
                routing = event.model.routing();
                followCanary();
            }
            Window window = current();
            HealthAccumulator owner = ownerOf(window, event.model);
            if (owner != null) {
                owner.add(event.model);
            }
        } else if (event.deadLetterReason != null) {
            current().deadLetters.merge(event.deadLetterReason, 1L, Long::sum);
        }
    }

    /**
     * The record a model event belongs to: its version's, when the version exists (it has a
     * manifest); else production's (a refused command may name any string, and must not leave a
     * record, a gauge or a cache entry behind); null before the routing is known.
     */
    private HealthAccumulator ownerOf(Window window, ModelEvent event) {
        String version = event.modelVersion;
        if (version == null
                || (!window.byVersion.containsKey(version) && reference(version) == null)) {
            version = routing == null ? null : routing.production();
        }
        return version == null
                ? null
                : window.byVersion.computeIfAbsent(version, HealthAccumulator::new);
    }

    /** Reports the window starting at {@code start}, if anything happened in it. */
    private void report(long start, long end) {
        reportedUpTo = Math.max(reportedUpTo, end);
        Window window = windows.remove(start);
        if (window != null) {
            emit(window, start, end);
        }
    }

    /**
     * Starts judging an automatic canary once the routing shows one, and stops when it is gone, its
     * production changed, or another canary command replaced it (a restored judge waits for the
     * routing to be known).
     */
    private void followCanary() {
        if (judge != null && !judge.judges(routing)) {
            LOG.info(
                    "canary analysis of {} (command {}) ended: {}",
                    judge.canary(),
                    Sanitized.id(judge.commandId()),
                    judge.decision() == null ? "the routing changed" : judge.decision());
            judge = null;
        }
        if (judge == null && routing.canaryAnalysis() != null && decisions.enabled()) {
            judge =
                    new CanaryJudge(
                            routing.canaryCommandId(),
                            routing.canary(),
                            routing.production(),
                            routing.canaryAnalysis());
        }
    }

    /** The canary's verdict on this window, its decision sent when it made one now; or null. */
    private ModelHealth.CanaryAnalysis judgeCanary(Window window) {
        if (judge == null || routing == null) {
            return null;
        }
        boolean undecided = judge.decision() == null;
        HealthAccumulator canary = window.byVersion.get(judge.canary());
        HealthAccumulator production = window.byVersion.get(judge.production());
        ModelHealth.CanaryAnalysis evidence =
                judge.judge(
                        canary == null ? null : canary.figures(),
                        production == null ? null : production.figures());
        if (undecided && judge.decision() != null) {
            sendDecision(evidence);
        }
        return evidence;
    }

    private void sendDecision(ModelHealth.CanaryAnalysis evidence) {
        boolean promote = CanaryJudge.PROMOTE.equals(evidence.decision());
        ModelControl decision =
                new ModelControl(
                        evidence.decisionCommandId(),
                        promote ? ModelControl.Action.DEPLOY : ModelControl.Action.CLEAR_CANARY,
                        promote ? evidence.canary() : null,
                        null,
                        ISSUER,
                        getProcessingTimeService().getCurrentProcessingTime(),
                        null,
                        null,
                        null,
                        evidence.commandId(),
                        CanaryJudge.reason(evidence));
        if (decisionKey != null) {
            decision =
                    decision.signed(
                            decisionKeyId,
                            content ->
                                    Base64.getEncoder()
                                            .encodeToString(Keys.sign(decisionKey, content)));
        }
        LOG.info(
                "canary analysis decided: {} (command {})",
                Sanitized.text(decision.reason(), ModelControl.MAX_REASON_LENGTH),
                decision.commandId());
        output.collect(DECISIONS, new StreamRecord<>(decision));
    }

    private void emit(Window window, long windowStart, long end) {
        ModelHealth.CanaryAnalysis canaryAnalysis = judgeCanary(window);
        if (canaryAnalysis != null) {
            // The evidence is reported even for a window the canary scored nothing in.
            window.byVersion.computeIfAbsent(canaryAnalysis.canary(), HealthAccumulator::new);
        }
        for (Map.Entry<String, HealthAccumulator> entry : window.byVersion.entrySet()) {
            ModelManifest manifest = reference(entry.getKey());
            ModelHealth record =
                    entry.getValue()
                            .toRecord(
                                    windowStart,
                                    end,
                                    window.deadLetters,
                                    manifest == null ? null : manifest.referenceHistogram(),
                                    manifest == null ? null : manifest.referenceOovRate(),
                                    manifest == null || manifest.validation() == null
                                            ? null
                                            : manifest.validation().accuracy(),
                                    thresholds,
                                    routing);
            if (canaryAnalysis != null && record.modelVersion().equals(canaryAnalysis.canary())) {
                record =
                        record.withCanaryAnalysis(
                                canaryAnalysis,
                                judge.decisionPending(decisions.pendingWindows())
                                        ? PENDING_ALERT
                                        : null);
            }
            if (latest.put(record.modelVersion(), record) == null) {
                registerGauges(record.modelVersion());
            }
            output.collect(new StreamRecord<>(record));
        }
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

    /** The input ended: every window still open is reported, the last one ending now. */
    @Override
    public void endInput() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        while (!windows.isEmpty()) {
            Map.Entry<Long, Window> first = windows.pollFirstEntry();
            long start = first.getKey();
            emit(first.getValue(), start, Math.max(start + 1, Math.min(start + windowMs, now)));
        }
    }
}
