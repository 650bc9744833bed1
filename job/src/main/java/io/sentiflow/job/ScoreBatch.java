package io.sentiflow.job;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelRouting;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Routes each review to a model version and scores it in adaptive micro-batches; its second input
 * is the model-control topic, broadcast to every subtask, which changes the routing while reviews
 * flow. The operator only connects Flink's life cycle to four collaborators, as {@code
 * AsyncWaitOperator} does: the {@link Router} (routing table, commands, background loads), the
 * {@link Batcher} (queues by version and length), the {@link Scorer} (a thread of its own that runs
 * the models) and {@link SubtaskHealth} (this subtask's health window).
 *
 * <p><b>Flow.</b> A review is routed and turned into its version's ids on the task thread, then
 * queued. Whenever the scorer is free it takes whatever waits in the oldest queue, up to {@code
 * batch.max-size}: at low load a review is scored alone at once; under load batches fill while the
 * previous one is on the device. Results re-enter through the mailbox. At most {@code
 * batch.max-pending} reviews wait: beyond that the task thread yields to the mailbox until the
 * scorer catches up, so backpressure reaches the Kafka source instead of memory growing.
 *
 * <p><b>Checkpoints.</b> A checkpoint does not wait for the scorer: the reviews still waiting and
 * the batch on the scorer go into operator state ({@code waiting}, as Flink's {@code
 * AsyncWaitOperator} keeps its queue), and their results are emitted after the barrier, with the
 * next checkpoint's. The checkpoint's source offsets are past them, so after a failure the restored
 * subtask queues them again, before any new review: none is lost, and with exactly-once output none
 * is written twice. The state holds at most {@code batch.max-pending} reviews and one batch, and at
 * most {@link #CHECKPOINT_TEXT_MAX_BYTES} of their text: beyond that, batches are scored before the
 * barrier until the rest fits. (Scoring everything before every barrier stalled the task for 40–160
 * ms at each checkpoint.)
 *
 * <p><b>Routing.</b> Before the routing table changes, and at the end of the input, every waiting
 * review is scored and the task waits for the scorer. The routing table and the commands still
 * waiting live in broadcast state (as JSON), so a restart keeps them.
 */
public final class ScoreBatch extends AbstractStreamOperator<Sentiment>
        implements TwoInputStreamOperator<ParsedReview, KafkaRecord, Sentiment>,
                BoundedMultiInput,
                Router.Listener {
    private static final long serialVersionUID = 1L;

    /** Reviews scored within {@code sampleBand} of 0.5, and samples of drifted windows. */
    public static final OutputTag<ReviewSample> SAMPLES =
            new OutputTag<>("samples", ContractType.REVIEW_SAMPLE);

    /**
     * The routing after every control command applied or refused, with how far the control topic is
     * judged (subtask 0 only): what a fresh start restores.
     */
    public static final OutputTag<ModelRouting> ROUTING =
            new OutputTag<>("routing", ContractType.MODEL_ROUTING);

    /** Loads, unloads, refusals and routing changes, for model health. */
    public static final OutputTag<ModelEvent> MODEL_EVENTS = new OutputTag<>("model-events") {};

    /** This subtask's figures per version, once per health window. */
    public static final OutputTag<HealthPartial> HEALTH = new OutputTag<>("health") {};

    /** Predictions that wait for their true label (see {@link LabelJoin}). */
    public static final OutputTag<Prediction> AWAITING_LABEL = new OutputTag<>("awaiting-label") {};

    static final MapStateDescriptor<String, String> ROUTING_STATE =
            new MapStateDescriptor<>(
                    "routing", BasicTypeInfo.STRING_TYPE_INFO, BasicTypeInfo.STRING_TYPE_INFO);
    private static final String TABLE_KEY = "table";
    private static final String PENDING_KEY = "pending";
    private static final String APPLIED_KEY = "applied";

    /**
     * The most review text a checkpoint keeps per subtask (1 MiB), however long the reviews; each
     * review adds its id, label and position (a few hundred bytes at most). Well inside the 5 MiB a
     * checkpoint stored on the JobManager allows (where no checkpoint directory is set, as in local
     * runs); elsewhere it keeps checkpoints quick.
     */
    static final long CHECKPOINT_TEXT_MAX_BYTES = 1 << 20;

    /** The reviews waiting or on the scorer at a checkpoint. */
    static final ListStateDescriptor<ParsedReview> WAITING_STATE =
            new ListStateDescriptor<>("waiting", TypeInformation.of(ParsedReview.class));

    /** Room for a sample record's key and headers. */
    private static final int SAMPLE_KEY_ROOM = 2048;

    /**
     * How the operator scores.
     *
     * @param device {@code auto}, {@code cpu} or {@code gpu}
     * @param maxSize most reviews per batch
     * @param maxDelayMs 0: adaptive batching; else a queue leaves only when full or when its oldest
     *     review waited this long
     * @param loadDelayMs while the scorer is loaded ({@link ScorerLoad}), a queue leaves only when
     *     full or when its oldest review waited this long; 0 never waits
     * @param maxPending most reviews waiting to be scored; more block the input
     * @param sortWindow under a backlog, the most batches of one queue sorted together by length; 0
     *     or 1 sorts none
     * @param cpuThreads intra-op threads of the PyTorch engine on the CPU; 0 keeps DJL's default.
     *     libtorch reads it once per JVM, when the engine starts, so the first model on a
     *     TaskManager decides.
     * @param sampleBand reviews whose score is within this of 0.5 also go to {@link #SAMPLES}; 0
     *     samples none
     * @param maxLoaded most model versions resident per subtask
     * @param windowMs the health window
     * @param driftThreshold a window's PSI above this sends its sample to {@link #SAMPLES}
     * @param driftSamples the most reviews sampled per version per window; 0 samples none
     * @param deadLetters how rejected reviews and commands are written
     * @param controlMaxBytes control records larger than this are refused unread
     * @param controlMaxPending the most commands waiting to apply; more are refused
     * @param maxRecordBytes the largest record a sink may write: larger samples are not sent
     * @param labelJoin which predictions wait for a label
     */
    public record Settings(
            String device,
            int maxSize,
            long maxDelayMs,
            long loadDelayMs,
            int maxPending,
            int sortWindow,
            int cpuThreads,
            double sampleBand,
            int maxLoaded,
            long windowMs,
            double driftThreshold,
            int driftSamples,
            DeadLetters deadLetters,
            int controlMaxBytes,
            int controlMaxPending,
            int maxRecordBytes,
            LabelJoin labelJoin,
            CommandTrust commandTrust)
            implements Serializable {
        public Settings {
            if (maxLoaded < 3) {
                throw new IllegalArgumentException(
                        "model.max-loaded must be at least 3 (production, canary and shadow),"
                                + " got "
                                + maxLoaded);
            }
            if (maxPending < maxSize) {
                throw new IllegalArgumentException(
                        "batch.max-pending must be at least batch.max-size");
            }
            if (loadDelayMs < 0) {
                throw new IllegalArgumentException("batch.load-delay-ms must be >= 0");
            }
            if (sortWindow < 0) {
                throw new IllegalArgumentException("batch.sort-window must be >= 0");
            }
        }

        public static Settings of(JobConfig config) {
            return new Settings(
                    config.device(),
                    config.batchMaxSize(),
                    config.batchMaxDelayMs(),
                    config.batchLoadDelayMs(),
                    config.batchMaxPending(),
                    config.batchSortWindow(),
                    config.deviceThreads(),
                    config.samplesBand(),
                    config.modelMaxLoaded(),
                    config.healthWindowMs(),
                    config.healthDriftThreshold(),
                    config.samplesDriftMax(),
                    DeadLetters.of(config),
                    config.controlMaxBytes(),
                    config.controlMaxPending(),
                    config.outputMaxRecordBytes(),
                    LabelJoin.of(config),
                    CommandTrust.of(config));
        }

        /**
         * Defaults for everything but the device and the batch bounds, and no load delay (the
         * operator harness's processing time stands still, so a load delay would wait for a timer
         * that never fires); for tests.
         */
        public static Settings of(String device, int maxSize, long maxDelayMs) {
            return new Settings(
                    device,
                    maxSize,
                    maxDelayMs,
                    0,
                    Math.max(256, maxSize),
                    Batcher.DEFAULT_WINDOW_BATCHES,
                    0,
                    0,
                    3,
                    10_000,
                    0.2,
                    0,
                    new DeadLetters(DeadLetter.DEFAULT_MAX_VALUE_BYTES),
                    16 * 1024,
                    100,
                    1024 * 1024,
                    new LabelJoin(0),
                    CommandTrust.OPEN);
        }

        /** The same settings with another command trust; for tests. */
        Settings withCommandTrust(CommandTrust trust) {
            return new Settings(
                    device,
                    maxSize,
                    maxDelayMs,
                    loadDelayMs,
                    maxPending,
                    sortWindow,
                    cpuThreads,
                    sampleBand,
                    maxLoaded,
                    windowMs,
                    driftThreshold,
                    driftSamples,
                    deadLetters,
                    controlMaxBytes,
                    controlMaxPending,
                    maxRecordBytes,
                    labelJoin,
                    trust);
        }
    }

    private final ModelCatalog catalog;
    private final Settings settings;
    private final RoutingTable initialRouting;

    private transient String deviceName;
    private transient int subtask;
    private transient MailboxExecutor mailbox;
    private transient Router router;
    private transient Batcher batcher;
    private transient Scorer scorer;
    private transient SubtaskHealth health;
    private transient BroadcastState<String, String> routingState;
    private transient ListState<ParsedReview> waitingState;

    /** The batch on the scorer, until its result is back; null when the scorer is free. */
    private transient Batcher.Batch onScorer;

    /** The deadline of the latest delay timer set, or {@code Long.MAX_VALUE} when none waits. */
    private transient long delayTimerDeadline;

    private transient ScorerLoad load;
    private transient Counter scored;
    private transient Counter scoringErrors;
    private transient Counter commandsApplied;
    private transient Counter commandsRefused;
    private transient Counter samplesTooLarge;
    private transient Histogram batchSizes;
    private transient Histogram waitMillis;
    private transient Histogram inferenceMillis;
    private transient Histogram latencyMillis;

    public ScoreBatch(ModelCatalog catalog, Settings settings) {
        this(catalog, settings, null);
    }

    /**
     * @param initialRouting the routing to start from when no state is restored (what the routing
     *     topic recorded last), or null to start from the catalog's initial version
     */
    public ScoreBatch(ModelCatalog catalog, Settings settings, RoutingTable initialRouting) {
        this.catalog = catalog;
        this.settings = settings;
        this.initialRouting = initialRouting;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        router =
                new Router(
                        catalog,
                        settings.commandTrust(),
                        settings.maxLoaded(),
                        settings.controlMaxBytes(),
                        settings.controlMaxPending(),
                        this,
                        initialRouting);
        routingState = context.getOperatorStateStore().getBroadcastState(ROUTING_STATE);
        waitingState = context.getOperatorStateStore().getListState(WAITING_STATE);
        if (context.isRestored()) {
            router.restore(
                    routingState.get(TABLE_KEY),
                    routingState.get(PENDING_KEY),
                    routingState.get(APPLIED_KEY));
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (settings.cpuThreads() > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(settings.cpuThreads()));
        }
        List<String> gpus = new ArrayList<>();
        for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos("gpu")) {
            info.getProperty("index").ifPresent(gpus::add);
        }
        subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        OptionalInt gpu = DeviceAssignment.gpuIndex(gpus, subtask);
        Device device = Devices.select(settings.device(), gpu.orElse(subtask));
        deviceName = device.toString();
        mailbox =
                getContainingTask()
                        .getMailboxExecutorFactory()
                        .createExecutor(getOperatorConfig().getChainIndex());
        batcher = new Batcher(settings.maxSize(), settings.maxDelayMs(), settings.sortWindow());
        load = new ScorerLoad(System.nanoTime());
        delayTimerDeadline = Long.MAX_VALUE;
        scorer = new Scorer(subtask, mailbox);
        registerMetrics();
        List<String> refusedAtStart = router.open(device, subtask, mailbox);
        LOG.info(
                "subtask {} scores on {} with routing {}", subtask, device, router.snapshotTable());
        long now = getProcessingTimeService().getCurrentProcessingTime();
        // Reported through the mailbox, once the operator is running.
        getProcessingTimeService()
                .registerTimer(
                        now,
                        time -> {
                            for (LoadedModel model : router.models().values()) {
                                event(
                                        ModelEvent.Type.LOADED,
                                        model.version(),
                                        null,
                                        Router.loadedMessage(model));
                            }
                            for (String refusal : refusedAtStart) {
                                event(ModelEvent.Type.REFUSED, null, null, refusal);
                            }
                            event(
                                    ModelEvent.Type.ROUTED,
                                    router.table().production(),
                                    null,
                                    "routing at start");
                        });
        health = new SubtaskHealth(settings.windowMs(), settings.driftSamples(), subtask);
        health.start(now);
        scheduleHealthWindow(now);
        requeueRestored();
    }

    /**
     * Queues the reviews a checkpoint held (waiting or on the scorer) again, before any new review.
     * No backpressure here: after a scale-in a subtask may take more than {@code batch.max-pending}
     * of them, at most the old subtasks' bound; new input waits until the queue is below the bound
     * again.
     */
    private void requeueRestored() throws Exception {
        int restored = 0;
        for (ParsedReview review : waitingState.get()) {
            queue(review);
            restored++;
        }
        if (restored > 0) {
            LOG.info("subtask {} queued {} reviews from the checkpoint again", subtask, restored);
            dispatch(false);
        }
    }

    private void registerMetrics() {
        scored = getMetricGroup().counter("reviewsScored");
        scoringErrors = getMetricGroup().counter("scoringErrors");
        commandsApplied = getMetricGroup().counter("controlCommandsApplied");
        commandsRefused = getMetricGroup().counter("controlCommandsRefused");
        samplesTooLarge = getMetricGroup().counter("samplesTooLarge");
        batchSizes = getMetricGroup().histogram("batchSize", histogram());
        waitMillis = getMetricGroup().histogram("batchWaitMillis", histogram());
        inferenceMillis = getMetricGroup().histogram("inferenceMillis", histogram());
        getMetricGroup().gauge("inFlightReviews", (Gauge<Integer>) () -> batcher.size());
        getMetricGroup()
                .gauge("loadedModelVersions", (Gauge<Integer>) () -> router.models().size());
        latencyMillis = getMetricGroup().histogram("latencyMillis", histogram());
    }

    private static DescriptiveStatisticsHistogram histogram() {
        return new DescriptiveStatisticsHistogram(1000);
    }

    // ---------------------------------------------------------------- reviews

    @Override
    public void processElement1(StreamRecord<ParsedReview> element) throws Exception {
        queue(element.getValue());
        dispatch(false);
        // Backpressure: no more than maxPending reviews wait; the scorer's results free room.
        while (batcher.size() >= settings.maxPending()) {
            mailbox.yield();
        }
    }

    /** Routes a review, turns it into its version's ids and queues it. */
    private void queue(ParsedReview review) {
        LoadedModel model = router.route(review.id);
        long now = getProcessingTimeService().getCurrentProcessingTime();
        String text = review.text();
        batcher.add(new ReviewToScore(review, text, model.version(), model.encode(text), now));
    }

    /** Hands the scorer its next batch when it is free; {@code force} ignores the minimum delay. */
    private void dispatch(boolean force) {
        dispatch(force, settings.maxSize());
    }

    /** As {@link #dispatch(boolean)}, with at most {@code limit} reviews. */
    private void dispatch(boolean force, int limit) {
        if (scorer.busy() || batcher.size() == 0) {
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        Batcher.Batch batch = batcher.next(now, force, limit);
        if (batch == null) {
            scheduleDelayTimer();
            return;
        }
        waitMillis.update(Math.max(0, now - batch.oldestArrival()));
        batchSizes.update(batch.reviews().size());
        onScorer = batch;
        scorer.submit(
                batch,
                router.model(batch.version()),
                router.shadowOf(batch.version()),
                this::onScored);
    }

    /**
     * With a minimum delay or a load delay, a timer lets the oldest queue go once it has waited
     * long enough. A timer set already stands unless the deadline came earlier (the load delay
     * ended): then an earlier one is set beside it, and only the latest-set timer clears the
     * deadline.
     */
    private void scheduleDelayTimer() {
        long deadline = batcher.nextDeadline();
        if (deadline >= delayTimerDeadline) {
            return;
        }
        delayTimerDeadline = deadline;
        getProcessingTimeService()
                .registerTimer(
                        deadline,
                        time -> {
                            if (deadline == delayTimerDeadline) {
                                delayTimerDeadline = Long.MAX_VALUE;
                            }
                            dispatch(false);
                        });
    }

    /**
     * Scores everything waiting and waits for the scorer: before the routing changes, at the end of
     * the input.
     */
    @Override
    public void drain() throws Exception {
        while (batcher.size() > 0 || scorer.busy()) {
            if (scorer.busy()) {
                mailbox.yield();
            } else {
                dispatch(true);
            }
        }
    }

    /** A batch came back from the scorer (on the task thread). */
    private void onScored(Scorer.Result result) {
        onScorer = null;
        if (result.fatal() != null) {
            throw new IllegalStateException("the scorer failed", result.fatal());
        }
        Batcher.Batch batch = result.batch();
        long busy =
                result.inferenceNanos()
                        + (result.shadow() == null ? 0 : result.shadow().inferenceNanos());
        batcher.loadDelay(load.record(busy, System.nanoTime()) ? settings.loadDelayMs() : 0);
        long modelMillis = result.inferenceNanos() / 1_000_000;
        inferenceMillis.update(modelMillis);
        health.figures(batch.version())
                .addBatch(batch.reviews().size(), modelMillis, result.deviceMemoryBytes());
        long now = System.currentTimeMillis();
        LoadedModel model = router.model(batch.version());
        for (int i = 0; i < batch.reviews().size(); i++) {
            ReviewToScore review = batch.reviews().get(i);
            if (result.errors()[i] != null) {
                health.figures(batch.version()).failed++;
                reject(review.review(), result.errors()[i]);
            } else {
                emit(model, review, result.scores()[i], now);
            }
        }
        if (result.shadow() != null) {
            compareShadow(batch, result);
        }
        dispatch(false);
    }

    private void emit(LoadedModel model, ReviewToScore item, float score, long now) {
        ParsedReview review = item.review();
        if (!Float.isFinite(score)) {
            health.figures(item.version()).failed++;
            reject(review, "the model returned a non-finite score");
            return;
        }
        scored.inc();
        long latency = Math.max(0, now - review.timestamp);
        latencyMillis.update(latency);
        int unknown = 0;
        for (int id : item.ids()) {
            unknown += id == Vocabulary.UNK ? 1 : 0;
        }
        health.figures(item.version())
                .addScored(score, latency, item.ids().length, unknown, review.label);
        boolean uncertain =
                settings.sampleBand() > 0 && Math.abs(score - 0.5) <= settings.sampleBand();
        boolean sampled =
                uncertain && sample(review, item.text(), score, item.version(), "uncertain");
        if (!uncertain) {
            health.drift(item.version(), 31L * subtask + now).offer(review, score);
        }
        if (settings.labelJoin().waitsForLabel(review.id, review.label, sampled)) {
            output.collect(
                    AWAITING_LABEL,
                    new StreamRecord<>(new Prediction(review.id, item.version(), score >= 0.5)));
        }
        output.collect(
                new StreamRecord<>(Sentiment.of(review.id, score, model.version(), now, latency)));
    }

    private void compareShadow(Batcher.Batch batch, Scorer.Result result) {
        Scorer.Shadow shadow = result.shadow();
        if (shadow.scores() == null) {
            LOG.warn("the shadow {} failed on a batch", shadow.version());
            return;
        }
        int compared = 0;
        int agreed = 0;
        double difference = 0;
        for (int i = 0; i < shadow.scores().length; i++) {
            if (result.errors()[i] != null) {
                continue;
            }
            float sent = result.scores()[i];
            float other = shadow.scores()[i];
            compared++;
            agreed += (sent >= 0.5f) == (other >= 0.5f) ? 1 : 0;
            difference += Math.abs(sent - other);
        }
        HealthFigures figures = health.figures(shadow.version());
        figures.addBatch(
                batch.reviews().size(),
                shadow.inferenceNanos() / 1_000_000,
                shadow.deviceMemoryBytes());
        figures.addShadow(batch.version(), compared, agreed, difference);
    }

    /** Sends a review to {@link #SAMPLES}; false when it would not fit in a Kafka record. */
    private boolean sample(
            ParsedReview review, String text, float score, String version, String reason) {
        ReviewSample sample =
                new ReviewSample(
                        review.id, text, score, version, System.currentTimeMillis(), reason);
        // JSON escaping can make a sample several times its review's size: one that would not fit
        // in a Kafka record is counted, not sent (its review was scored as usual).
        // (A character takes at most 6 bytes of JSON: most samples need no check.)
        if (text.length() > (settings.maxRecordBytes() - 4 * SAMPLE_KEY_ROOM) / 6
                && Json.toBytes(sample).length + SAMPLE_KEY_ROOM > settings.maxRecordBytes()) {
            samplesTooLarge.inc();
            return false;
        }
        output.collect(SAMPLES, new StreamRecord<>(sample));
        return true;
    }

    /**
     * A review the model could not score. The record's own bytes stayed at the source, so the dead
     * letter carries the review as parsed, written again as {@code review.v1}.
     */
    private void reject(ParsedReview review, String message) {
        scoringErrors.inc();
        KafkaRecord source =
                new KafkaRecord(
                        review.topic,
                        review.partition,
                        review.offset,
                        review.timestamp,
                        Json.toBytes(
                                new Review(review.id, review.text(), review.label, null, null)));
        output.collect(
                DeadLetters.TAG,
                new StreamRecord<>(
                        settings.deadLetters()
                                .letter(
                                        source,
                                        DeadLetter.Reason.SCORING_ERROR,
                                        message + " (originalValue: the review as parsed)")));
    }

    // ---------------------------------------------------------------- health windows

    /** Closes this subtask's health window at the next multiple of its length (as health does). */
    private void scheduleHealthWindow(long now) {
        long end = now - Math.floorMod(now, settings.windowMs()) + settings.windowMs();
        getProcessingTimeService()
                .registerTimer(
                        end,
                        time -> {
                            closeHealthWindow(end);
                            scheduleHealthWindow(time);
                        });
    }

    /**
     * Sends this subtask's figures of the window, and the sample of every version whose scores
     * drifted past the threshold, and starts the next window.
     */
    private void closeHealthWindow(long nextStart) {
        Map<String, long[]> references = new HashMap<>();
        for (LoadedModel model : router.models().values()) {
            references.put(model.version(), model.referenceHistogram());
        }
        SubtaskHealth.Closed closed =
                health.close(nextStart, references, settings.driftThreshold());
        for (HealthPartial partial : closed.partials()) {
            output.collect(HEALTH, new StreamRecord<>(partial));
        }
        for (SubtaskHealth.DriftSample sample : closed.samples()) {
            sample(
                    sample.review(),
                    sample.review().text(),
                    sample.score(),
                    sample.version(),
                    "drift");
        }
    }

    // ---------------------------------------------------------------- control

    @Override
    public void processElement2(StreamRecord<KafkaRecord> element) throws Exception {
        router.enqueue(element.getValue());
    }

    @Override
    public void refused(
            KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message) {
        commandsRefused.inc();
        if (subtask == 0) {
            // Once per job, not per subtask, and nothing from outside verbatim (no forged lines).
            LOG.warn(
                    "refused control command {}: {} {}",
                    control == null ? "(unreadable)" : Sanitized.id(control.commandId()),
                    reason,
                    Sanitized.text(message, DeadLetter.MAX_MESSAGE_CHARS));
            output.collect(
                    DeadLetters.TAG,
                    new StreamRecord<>(settings.deadLetters().letter(source, reason, message)));
            event(
                    ModelEvent.Type.REFUSED,
                    control == null ? null : control.modelVersion(),
                    control,
                    reason + ": " + message);
        }
    }

    @Override
    public void event(ModelEvent.Type type, String version, ModelControl control, String message) {
        if (type == ModelEvent.Type.ROUTED) {
            if (control != null) {
                commandsApplied.inc();
            }
            if (subtask != 0) {
                return;
            }
        }
        output.collect(
                MODEL_EVENTS,
                new StreamRecord<>(
                        ModelEvent.of(
                                type,
                                version,
                                control == null ? null : control.commandId(),
                                control == null ? null : control.issuedBy(),
                                subtask,
                                deviceName,
                                message,
                                router.table())));
    }

    @Override
    public void unloaded(String version) {
        batcher.forget(version);
    }

    @Override
    public void judged(
            RoutingTable table, String topic, int partition, long position, String commandId) {
        if (subtask == 0) {
            output.collect(
                    ROUTING,
                    new StreamRecord<>(
                            new ModelRouting(
                                    table.production(),
                                    table.previous(),
                                    table.canary(),
                                    table.canaryWeight(),
                                    table.shadow(),
                                    topic,
                                    partition,
                                    position,
                                    commandId,
                                    System.currentTimeMillis(),
                                    table.canaryCommandId(),
                                    table.canaryAnalysis())));
        }
    }

    /** The routing this subtask applies now; for tests. */
    RoutingTable routing() {
        return router.table();
    }

    /**
     * Whether a control command is still loading or waiting, or a batch is in flight; for tests.
     */
    boolean busy() {
        return router.commandsWaiting() || scorer.busy() || batcher.size() > 0;
    }

    /** The scorer's load, as {@link #onScored} reads it; for tests. */
    ScorerLoad scorerLoad() {
        return load;
    }

    /** Whether all that is in flight waits only for the minimum delay's timer; for tests. */
    boolean waitsForDelay() {
        return !router.commandsWaiting() && !scorer.busy() && delayTimerDeadline != Long.MAX_VALUE;
    }

    /** Reviews waiting for the scorer; for tests. */
    int waiting() {
        return batcher.size();
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Keeps the checkpoint small: beyond {@link #CHECKPOINT_TEXT_MAX_BYTES} of waiting text (long
     * reviews, a backlog), batches are scored before the barrier until what waits fits; each batch
     * only about as large as the excess needs, so the barrier waits no longer than it must.
     */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        while (waitingTextBytes() > CHECKPOINT_TEXT_MAX_BYTES) {
            if (scorer.busy()) {
                mailbox.yield();
            } else if (batcher.size() == 0) {
                // Not busy means nothing on the scorer: the bytes cannot come from nowhere.
                throw new IllegalStateException("waiting text counted with nothing waiting");
            } else {
                long excess = batcher.textBytes() - CHECKPOINT_TEXT_MAX_BYTES;
                long average = Math.max(1, batcher.textBytes() / batcher.size());
                dispatch(true, (int) Math.min(settings.maxSize(), excess / average + 1));
            }
        }
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    /** The text bytes a checkpoint would keep now: what waits and the batch on the scorer. */
    long waitingTextBytes() {
        return batcher.textBytes() + (onScorer == null ? 0 : onScorer.textBytes());
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<ParsedReview> waiting = new ArrayList<>(batcher.size() + settings.maxSize());
        if (onScorer != null) {
            onScorer.reviews().forEach(review -> waiting.add(review.review()));
        }
        batcher.waiting().forEach(review -> waiting.add(review.review()));
        waitingState.update(waiting);
        routingState.put(TABLE_KEY, router.snapshotTable());
        routingState.put(PENDING_KEY, router.snapshotCommands());
        routingState.put(APPLIED_KEY, router.snapshotApplied());
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (inputId == 1) {
            drain();
            closeHealthWindow(getProcessingTimeService().getCurrentProcessingTime());
        }
    }

    @Override
    public void finish() throws Exception {
        drain();
        closeHealthWindow(getProcessingTimeService().getCurrentProcessingTime());
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (scorer != null) {
                scorer.close();
            }
            if (router != null) {
                router.close();
            }
        } finally {
            super.close();
        }
    }
}
