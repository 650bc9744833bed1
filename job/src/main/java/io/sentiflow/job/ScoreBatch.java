package io.sentiflow.job;

import ai.djl.Device;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sentiflow.model.Devices;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.model.registry.RegistryException;
import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ReviewSample;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
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
 * Routes each review to a model version and scores it in micro-batches; its second input is the
 * model-control topic, broadcast to every subtask, which changes the routing while reviews flow.
 *
 * <p><b>Batching.</b> A batch is scored when it holds {@code maxSize} reviews or when its oldest
 * review has waited {@code maxDelayMs}, whichever comes first. Reviews of similar length and the
 * same version share a batch ({@link PendingBatches}), so padding stays small. Why a custom
 * operator rather than async I/O: a flush on delay needs processing-time timers on a non-keyed
 * stream, and scoring on the task thread keeps at most {@code maxSize} reviews per length class in
 * flight, so backpressure reaches the Kafka source instead of memory growing. All open batches are
 * scored before every checkpoint barrier, so no checkpoint holds a buffered review: after a
 * failure, everything not yet scored is replayed from Kafka. A batch that fails is retried review
 * by review; a review that still fails is dead-lettered.
 *
 * <p><b>Routing.</b> The {@link RoutingTable} lives in broadcast state (as JSON), so a restart
 * keeps it. Routing and scoring share this operator so that a version is loaded, checked and warmed
 * up on this subtask's device before the table sends it a single review. Loading happens on a
 * background thread while reviews keep flowing under the old table; commands apply in order, one at
 * a time, and commands still waiting at a checkpoint are part of the state. A command that is
 * invalid, names an unknown, retired or tampered version, or cannot apply is never applied: it is
 * dead-lettered (by subtask 0 only, so once) and reported as a {@link ModelEvent}. Versions no
 * longer routed are unloaded, except the rollback target while at most {@code maxLoaded} versions
 * are resident. The shadow scores the reviews of the other versions batch by batch; its scores only
 * feed {@link #SHADOW}.
 */
public final class ScoreBatch extends AbstractStreamOperator<ScoredReview>
        implements TwoInputStreamOperator<TokenizedReview, KafkaRecord, ScoredReview>,
                BoundedMultiInput {
    private static final long serialVersionUID = 1L;

    /** One record per scored batch, for model health. */
    public static final OutputTag<BatchStats> BATCHES = new OutputTag<>("batches") {};

    /** Reviews scored within {@code sampleBand} of 0.5, for labelling. */
    public static final OutputTag<ReviewSample> SAMPLES = new OutputTag<>("samples") {};

    /** Loads, unloads, refusals and routing changes, for model health. */
    public static final OutputTag<ModelEvent> MODEL_EVENTS = new OutputTag<>("model-events") {};

    /** How the shadow's scores compared with the scores that were sent, per batch. */
    public static final OutputTag<ShadowStats> SHADOW = new OutputTag<>("shadow") {};

    static final MapStateDescriptor<String, String> ROUTING_STATE =
            new MapStateDescriptor<>(
                    "routing", BasicTypeInfo.STRING_TYPE_INFO, BasicTypeInfo.STRING_TYPE_INFO);
    private static final String TABLE_KEY = "table";
    private static final String PENDING_KEY = "pending";
    private static final long LOAD_POLL_MS = 10;

    /** Room for a sample record's key and headers. */
    private static final int SAMPLE_KEY_ROOM = 2048;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * How the operator scores.
     *
     * @param device {@code auto}, {@code cpu} or {@code gpu}
     * @param maxSize most reviews per batch
     * @param maxDelayMs longest a review waits for its batch to fill
     * @param cpuThreads intra-op threads of the PyTorch engine on the CPU; 0 keeps DJL's default.
     *     libtorch reads it once per JVM, when the engine starts, so the first model on a
     *     TaskManager decides.
     * @param sampleBand reviews whose score is within this of 0.5 also go to {@link #SAMPLES}; 0
     *     samples none
     * @param maxLoaded most model versions resident per subtask
     * @param windowMs the drift window (the health window)
     * @param driftThreshold a window's PSI above this sends its sample to {@link #SAMPLES}
     * @param driftSamples the most reviews sampled per version per window; 0 samples none
     * @param deadLetters how rejected reviews and commands are written
     * @param controlMaxBytes control records larger than this are refused unread
     * @param controlMaxPending the most commands waiting to apply; more are refused
     * @param maxRecordBytes the largest record a sink may write: larger samples are not sent
     */
    public record Settings(
            String device,
            int maxSize,
            long maxDelayMs,
            int cpuThreads,
            double sampleBand,
            int maxLoaded,
            long windowMs,
            double driftThreshold,
            int driftSamples,
            DeadLetters deadLetters,
            int controlMaxBytes,
            int controlMaxPending,
            int maxRecordBytes)
            implements Serializable {
        public Settings {
            if (maxLoaded < 3) {
                throw new IllegalArgumentException(
                        "model.max-loaded must be at least 3 (production, canary and shadow),"
                                + " got "
                                + maxLoaded);
            }
        }

        public static Settings of(JobConfig config) {
            return new Settings(
                    config.device(),
                    config.batchMaxSize(),
                    config.batchMaxDelayMs(),
                    config.deviceThreads(),
                    config.samplesBand(),
                    config.modelMaxLoaded(),
                    config.healthWindowMs(),
                    config.healthDriftThreshold(),
                    config.samplesDriftMax(),
                    DeadLetters.of(config),
                    config.controlMaxBytes(),
                    config.controlMaxPending(),
                    config.outputMaxRecordBytes());
        }

        public static Settings of(String device, int maxSize, long maxDelayMs) {
            return new Settings(
                    device,
                    maxSize,
                    maxDelayMs,
                    0,
                    0,
                    3,
                    10_000,
                    0.2,
                    0,
                    new DeadLetters(DeadLetter.DEFAULT_MAX_VALUE_BYTES),
                    16 * 1024,
                    100,
                    1024 * 1024);
        }
    }

    /** A control command waiting to apply, with the record it came in. */
    private record Command(ModelControl control, KafkaRecord source) {}

    private final ModelCatalog catalog;
    private final Settings settings;

    private transient Device chosenDevice;
    private transient String deviceName;
    private transient int subtask;
    private transient RoutingTable table;
    private transient Map<String, LoadedModel> models;
    private transient Map<String, PendingBatches> pending;
    private transient Map<String, DriftWindow> driftWindows;
    private transient ArrayDeque<Command> commands;
    private transient List<KafkaRecord> restoredCommands;
    private transient CompletableFuture<LoadedModel> loading;
    private transient String loadingVersion;
    private transient ExecutorService loader;
    private transient BroadcastState<String, String> routingState;
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
        this.catalog = catalog;
        this.settings = settings;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        routingState = context.getOperatorStateStore().getBroadcastState(ROUTING_STATE);
        restoredCommands = new ArrayList<>();
        if (context.isRestored()) {
            String savedTable = routingState.get(TABLE_KEY);
            if (savedTable != null) {
                table = MAPPER.readValue(savedTable, RoutingTable.class);
            }
            String savedPending = routingState.get(PENDING_KEY);
            if (savedPending != null) {
                restoredCommands =
                        MAPPER.readValue(savedPending, new TypeReference<List<KafkaRecord>>() {});
            }
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
        chosenDevice = Devices.select(settings.device(), gpu.orElse(subtask));
        deviceName = chosenDevice.toString();
        models = new LinkedHashMap<>();
        pending = new HashMap<>();
        driftWindows = new HashMap<>();
        commands = new ArrayDeque<>();
        loader =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread thread =
                                    new Thread(runnable, "sentiflow-model-loader-" + subtask);
                            thread.setDaemon(true);
                            return thread;
                        });
        registerMetrics();

        if (table == null) {
            table = RoutingTable.initial(catalog.initialVersion());
        }
        // At start the routed versions load on the task thread: nothing flows before they are in.
        List<String> refusedAtStart = new ArrayList<>();
        loadRoutedVersions(refusedAtStart);
        LOG.info(
                "subtask {} scores on {} with routing {}",
                subtask,
                chosenDevice,
                MAPPER.writeValueAsString(table));
        long now = getProcessingTimeService().getCurrentProcessingTime();
        // Reported through the mailbox, once the operator is running.
        getProcessingTimeService()
                .registerTimer(
                        now,
                        time -> {
                            for (LoadedModel model : models.values()) {
                                event(ModelEvent.Type.LOADED, model.version(), null, loaded(model));
                            }
                            for (String refusal : refusedAtStart) {
                                event(ModelEvent.Type.REFUSED, null, null, refusal);
                            }
                            event(
                                    ModelEvent.Type.ROUTED,
                                    table.production(),
                                    null,
                                    "routing at start");
                        });
        for (KafkaRecord record : restoredCommands) {
            enqueue(record);
        }
        restoredCommands = null;
        scheduleDriftWindow(now);
    }

    /**
     * Loads every version of the routing table. A canary or shadow that no longer loads (retired,
     * changed, registry unreachable) is routed around; a production version that does not load
     * hands over to its rollback target when that loads, else the job fails with the reason (and
     * the restart strategy bounds how often it tries again).
     *
     * @param refused collects what was refused, for model events
     */
    private void loadRoutedVersions(List<String> refused) throws IOException {
        for (String version : new ArrayList<>(table.versions())) {
            try {
                models.put(version, loadVersion(version));
            } catch (IOException | RuntimeException e) {
                if (!version.equals(table.production())) {
                    LOG.warn(
                            "routed version {} no longer loads, routing around it: {}", version, e);
                    refused.add(version + " no longer loads, routed around: " + e.getMessage());
                    table = withoutVersion(table, version);
                    continue;
                }
                String fallback = table.rollbackTarget();
                if (fallback == null) {
                    throw new IOException(
                            "cannot load the production model "
                                    + version
                                    + " and there is no earlier production version to fall back"
                                    + " to: "
                                    + e.getMessage()
                                    + (refused.isEmpty() ? "" : "; before: " + refused),
                            e);
                }
                LOG.error(
                        "production version {} does not load; falling back to {}: {}",
                        version,
                        fallback,
                        e.toString());
                refused.add(
                        "production "
                                + version
                                + " does not load, fell back to "
                                + fallback
                                + ": "
                                + e.getMessage());
                try {
                    table =
                            table.apply(
                                    new ModelControl(
                                            "fallback-at-start",
                                            ModelControl.Action.ROLLBACK,
                                            null,
                                            null,
                                            "sentiflow",
                                            null));
                } catch (RoutingTable.NotApplicable impossible) {
                    throw new IllegalStateException(impossible);
                }
                loadRoutedVersions(refused);
                return;
            }
        }
    }

    /** Closes the drift windows at the next multiple of the window length (as health does). */
    private void scheduleDriftWindow(long now) {
        long end = now - Math.floorMod(now, settings.windowMs()) + settings.windowMs();
        getProcessingTimeService()
                .registerTimer(
                        end,
                        time -> {
                            closeDriftWindows();
                            scheduleDriftWindow(time);
                        });
    }

    /**
     * Sends the sample of every window whose scores drifted past the threshold to {@link #SAMPLES},
     * and starts new windows. Each subtask judges the reviews it scored.
     */
    private void closeDriftWindows() {
        for (Map.Entry<String, DriftWindow> entry : driftWindows.entrySet()) {
            for (DriftWindow.Sampled sampled :
                    entry.getValue().samplesIfDrifted(settings.driftThreshold())) {
                sample(sampled.review(), sampled.score(), entry.getKey(), "drift");
            }
        }
        driftWindows.clear();
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
        getMetricGroup().gauge("inFlightReviews", (Gauge<Integer>) this::inFlight);
        getMetricGroup().gauge("loadedModelVersions", (Gauge<Integer>) () -> models.size());
        latencyMillis = getMetricGroup().histogram("latencyMillis", histogram());
    }

    private int inFlight() {
        int total = 0;
        for (PendingBatches batches : pending.values()) {
            total += batches.total();
        }
        return total;
    }

    private static DescriptiveStatisticsHistogram histogram() {
        return new DescriptiveStatisticsHistogram(1000);
    }

    private LoadedModel loadVersion(String version) throws IOException {
        // The catalog reads and checks the files; the model loads from those very bytes.
        return LoadedModel.load(version, catalog.load(version), chosenDevice);
    }

    private static String loaded(LoadedModel model) {
        return "loaded and warmed up in " + model.loadMillis() + " ms";
    }

    // ---------------------------------------------------------------- reviews

    @Override
    public void processElement1(StreamRecord<TokenizedReview> element) throws Exception {
        TokenizedReview review = element.getValue();
        String version = table.route(review.id);
        LoadedModel model = models.get(version);
        review.modelVersion = version;
        PendingBatches batches =
                pending.computeIfAbsent(version, v -> new PendingBatches(model.maxLength()));
        long now = getProcessingTimeService().getCurrentProcessingTime();
        int lengthClass = batches.add(review, now);
        if (batches.size(lengthClass) >= settings.maxSize()) {
            flush(version, lengthClass);
        } else if (batches.size(lengthClass) == 1) {
            // Never cancelled: a batch that leaves earlier makes its timer stale, and a stale timer
            // does nothing (a cancelled one whose mail was already queued would run anyway).
            long opened = batches.generation(lengthClass);
            getProcessingTimeService()
                    .registerTimer(
                            now + settings.maxDelayMs(),
                            time -> onDelay(batches, version, lengthClass, opened));
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flushAll();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        routingState.put(TABLE_KEY, MAPPER.writeValueAsString(table));
        List<KafkaRecord> waiting = new ArrayList<>();
        for (Command command : commands) {
            waiting.add(command.source());
        }
        routingState.put(PENDING_KEY, MAPPER.writeValueAsString(waiting));
    }

    @Override
    public void endInput(int inputId) {
        if (inputId == 1) {
            flushAll();
            closeDriftWindows();
        }
    }

    @Override
    public void finish() throws Exception {
        flushAll();
        closeDriftWindows();
        super.finish();
    }

    private void flushAll() {
        for (Map.Entry<String, PendingBatches> entry : pending.entrySet()) {
            for (int c = 0; c < entry.getValue().classCount(); c++) {
                flush(entry.getKey(), c);
            }
        }
    }

    /**
     * A batch's delay ran out. The timer may be stale: its batch may have left already (full, or
     * flushed before a barrier or a routing change), and its version may even be unloaded since;
     * then it does nothing.
     */
    private void onDelay(PendingBatches batches, String version, int lengthClass, long opened) {
        if (pending.get(version) == batches && batches.generation(lengthClass) == opened) {
            flush(version, lengthClass);
        }
    }

    private void flush(String version, int lengthClass) {
        PendingBatches batches = pending.get(version);
        if (batches == null || batches.size(lengthClass) == 0) {
            return;
        }
        long startMillis = getProcessingTimeService().getCurrentProcessingTime();
        waitMillis.update(Math.max(0, startMillis - batches.oldestArrival(lengthClass)));
        List<TokenizedReview> batch = batches.take(lengthClass);
        batchSizes.update(batch.size());
        LoadedModel model = models.get(version);
        long start = System.nanoTime();
        float[] scores;
        try {
            List<int[]> ids = new ArrayList<>(batch.size());
            for (TokenizedReview review : batch) {
                review.tokenIds = model.encode(review.tokens);
                ids.add(review.tokenIds);
            }
            scores = model.score(ids);
        } catch (Exception batchFailure) {
            LOG.warn(
                    "a batch of {} failed on {} ({}); scoring its reviews one by one",
                    batch.size(),
                    version,
                    batchFailure.toString());
            scoreOneByOne(model, batch);
            return;
        }
        long modelMillis = (System.nanoTime() - start) / 1_000_000;
        inferenceMillis.update(modelMillis);
        output.collect(
                BATCHES,
                new StreamRecord<>(
                        new BatchStats(
                                version, batch.size(), modelMillis, model.deviceMemoryBytes())));
        long now = System.currentTimeMillis();
        for (int i = 0; i < batch.size(); i++) {
            emit(model, batch.get(i), scores[i], now);
        }
        String shadow = table.shadow();
        if (shadow != null && !shadow.equals(version) && models.containsKey(shadow)) {
            scoreInShadow(models.get(shadow), version, batch, scores);
        }
    }

    /** Scores a batch with the shadow too; only the comparison leaves the operator. */
    private void scoreInShadow(
            LoadedModel shadow, String primary, List<TokenizedReview> batch, float[] sent) {
        List<int[]> ids = new ArrayList<>(batch.size());
        for (TokenizedReview review : batch) {
            ids.add(shadow.encode(review.tokens));
        }
        long start = System.nanoTime();
        float[] shadowScores;
        try {
            shadowScores = shadow.score(ids);
        } catch (Exception e) {
            LOG.warn("the shadow {} failed on a batch: {}", shadow.version(), e.toString());
            return;
        }
        long modelMillis = (System.nanoTime() - start) / 1_000_000;
        int agreed = 0;
        double difference = 0;
        for (int i = 0; i < sent.length; i++) {
            agreed += (sent[i] >= 0.5f) == (shadowScores[i] >= 0.5f) ? 1 : 0;
            difference += Math.abs(sent[i] - shadowScores[i]);
        }
        output.collect(
                BATCHES,
                new StreamRecord<>(
                        new BatchStats(
                                shadow.version(),
                                batch.size(),
                                modelMillis,
                                shadow.deviceMemoryBytes())));
        output.collect(
                SHADOW,
                new StreamRecord<>(
                        new ShadowStats(
                                shadow.version(), primary, sent.length, agreed, difference)));
    }

    private void scoreOneByOne(LoadedModel model, List<TokenizedReview> batch) {
        for (TokenizedReview review : batch) {
            try {
                review.tokenIds = model.encode(review.tokens);
                emit(
                        model,
                        review,
                        model.score(List.of(review.tokenIds))[0],
                        System.currentTimeMillis());
            } catch (Exception e) {
                reject(review, "scoring failed: " + e);
            }
        }
    }

    private void emit(LoadedModel model, TokenizedReview review, float score, long now) {
        if (!Float.isFinite(score)) {
            reject(review, "the model returned a non-finite score");
            return;
        }
        scored.inc();
        long latency = Math.max(0, now - review.source.timestamp);
        latencyMillis.update(latency);
        ScoredReview result = new ScoredReview();
        result.reviewId = review.id;
        result.score = score;
        result.modelVersion = model.version();
        result.device = deviceName;
        result.scoredAt = now;
        result.latencyMs = latency;
        result.label = review.label;
        result.tokens = review.tokenIds.length;
        for (int id : review.tokenIds) {
            result.unknownTokens += id == Vocabulary.UNK ? 1 : 0;
        }
        boolean uncertain =
                settings.sampleBand() > 0 && Math.abs(score - 0.5) <= settings.sampleBand();
        if (uncertain) {
            result.sampled = sample(review, score, model.version(), "uncertain");
        }
        output.collect(new StreamRecord<>(result));
        driftWindows
                .computeIfAbsent(
                        model.version(),
                        v ->
                                new DriftWindow(
                                        model.referenceHistogram(),
                                        settings.driftSamples(),
                                        31L * subtask + now))
                .add(review, score, !uncertain);
    }

    /** Sends a review to {@link #SAMPLES}; false when it would not fit in a Kafka record. */
    private boolean sample(TokenizedReview review, float score, String version, String reason) {
        // The text is read back from the original record only for the few reviews sampled.
        String text = Json.review(review.source.value).text();
        ReviewSample sample =
                new ReviewSample(
                        review.id, text, score, version, System.currentTimeMillis(), reason);
        // JSON escaping can make a sample several times its review's size: one that would not fit
        // in a Kafka record is counted, not sent (its review was scored as usual).
        if (Json.toBytes(sample).length + SAMPLE_KEY_ROOM > settings.maxRecordBytes()) {
            samplesTooLarge.inc();
            return false;
        }
        output.collect(SAMPLES, new StreamRecord<>(sample));
        return true;
    }

    private void reject(TokenizedReview review, String message) {
        scoringErrors.inc();
        output.collect(
                DeadLetters.TAG,
                new StreamRecord<>(
                        settings.deadLetters()
                                .letter(review.source, DeadLetter.Reason.SCORING_ERROR, message)));
    }

    // ---------------------------------------------------------------- control

    @Override
    public void processElement2(StreamRecord<KafkaRecord> element) {
        enqueue(element.getValue());
    }

    private void enqueue(KafkaRecord record) {
        if (record.value != null && record.value.length > settings.controlMaxBytes()) {
            refuse(
                    record,
                    null,
                    DeadLetter.Reason.RECORD_TOO_LARGE,
                    "control record has "
                            + record.value.length
                            + " bytes, more than control.max-bytes "
                            + settings.controlMaxBytes());
            return;
        }
        ModelControl control;
        try {
            control = Json.modelControl(record.value);
        } catch (ContractViolation violation) {
            refuse(record, null, violation.reason(), violation.getMessage());
            return;
        }
        if (commands.size() >= settings.controlMaxPending()) {
            refuse(
                    record,
                    control,
                    DeadLetter.Reason.COMMAND_NOT_APPLICABLE,
                    commands.size()
                            + " commands are already waiting (control.max-pending); send it again"
                            + " once they have applied");
            return;
        }
        commands.add(new Command(control, record));
        if (loading == null) {
            startNextCommand();
        }
    }

    /** Applies waiting commands in order until one needs a version loaded, and starts that load. */
    private void startNextCommand() {
        while (loading == null && !commands.isEmpty()) {
            Command head = commands.peek();
            ModelControl control = head.control();
            try {
                table.check(control);
            } catch (RoutingTable.NotApplicable e) {
                commands.poll();
                refuse(
                        head.source(),
                        control,
                        DeadLetter.Reason.COMMAND_NOT_APPLICABLE,
                        e.getMessage());
                continue;
            }
            String version = table.versionToLoad(control);
            if (version == null) {
                commands.poll();
                apply(head);
                continue;
            }
            // Off the task thread: a resident version is checked again (it may have been retired
            // or changed since it loaded), any other one is checked, loaded and warmed up.
            boolean resident = models.containsKey(version);
            loadingVersion = version;
            loading = CompletableFuture.supplyAsync(() -> loadOrThrow(version, resident), loader);
            pollLoad();
        }
    }

    /** The loaded version, or null when only its files were checked (it is resident already). */
    private LoadedModel loadOrThrow(String version, boolean resident) {
        try {
            if (resident) {
                catalog.load(version);
                return null;
            }
            return loadVersion(version);
        } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private void pollLoad() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + LOAD_POLL_MS, time -> onLoadPoll());
    }

    private void onLoadPoll() {
        if (loading == null) {
            return;
        }
        if (!loading.isDone()) {
            pollLoad();
            return;
        }
        Command head = commands.poll();
        String version = loadingVersion;
        CompletableFuture<LoadedModel> done = loading;
        loading = null;
        loadingVersion = null;
        try {
            LoadedModel model = done.join();
            if (model != null) {
                models.put(version, model);
                event(ModelEvent.Type.LOADED, version, head.control(), loaded(model));
            }
            apply(head);
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            DeadLetter.Reason reason =
                    cause instanceof RegistryException registry
                            ? reasonFor(registry)
                            : DeadLetter.Reason.MODEL_REFUSED;
            refuse(head.source(), head.control(), reason, String.valueOf(cause.getMessage()));
        }
        startNextCommand();
    }

    private static DeadLetter.Reason reasonFor(RegistryException e) {
        return switch (e.problem()) {
            case UNKNOWN_VERSION -> DeadLetter.Reason.UNKNOWN_MODEL_VERSION;
            case RETIRED -> DeadLetter.Reason.RETIRED_MODEL_VERSION;
            case INVALID_MODEL, ALREADY_PUBLISHED -> DeadLetter.Reason.MODEL_REFUSED;
        };
    }

    /**
     * The new table takes effect for every review after this point; batches already open finish on
     * their versions.
     */
    private void apply(Command command) {
        RoutingTable next;
        try {
            next = table.apply(command.control());
        } catch (RoutingTable.NotApplicable e) {
            refuse(
                    command.source(),
                    command.control(),
                    DeadLetter.Reason.COMMAND_NOT_APPLICABLE,
                    e.getMessage());
            return;
        }
        flushAll();
        table = next;
        commandsApplied.inc();
        ModelControl control = command.control();
        LOG.info(
                "subtask {} applied {} {} from {} (command {})",
                subtask,
                control.action().wire(),
                control.modelVersion() == null ? "" : control.modelVersion(),
                control.issuedBy(),
                control.commandId());
        event(ModelEvent.Type.ROUTED, table.production(), control, control.action().wire());
        unloadUnrouted(control);
    }

    private void unloadUnrouted(ModelControl control) {
        String keep = table.rollbackTarget();
        Iterator<Map.Entry<String, LoadedModel>> it = models.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, LoadedModel> entry = it.next();
            String version = entry.getKey();
            boolean routed = table.versions().contains(version);
            boolean roomForRollback =
                    version.equals(keep) && table.versions().size() < settings.maxLoaded();
            if (!routed && !roomForRollback) {
                entry.getValue().close();
                it.remove();
                pending.remove(version);
                event(ModelEvent.Type.UNLOADED, version, control, "no longer routed");
            }
        }
    }

    private static RoutingTable withoutVersion(RoutingTable table, String version) {
        return new RoutingTable(
                table.production(),
                table.previous(),
                version.equals(table.canary()) ? null : table.canary(),
                version.equals(table.canary()) ? 0 : table.canaryWeight(),
                version.equals(table.shadow()) ? null : table.shadow());
    }

    private void refuse(
            KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message) {
        commandsRefused.inc();
        String version = control == null ? null : control.modelVersion();
        LOG.warn(
                "subtask {} refused control command {}: {} {}",
                subtask,
                control == null ? "(unreadable)" : control.commandId(),
                reason,
                message);
        if (subtask == 0) {
            output.collect(
                    DeadLetters.TAG,
                    new StreamRecord<>(settings.deadLetters().letter(source, reason, message)));
            event(ModelEvent.Type.REFUSED, version, control, reason + ": " + message);
        }
    }

    private void event(ModelEvent.Type type, String version, ModelControl control, String message) {
        if (type == ModelEvent.Type.ROUTED && subtask != 0) {
            return;
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
                                table)));
    }

    /** The routing this subtask applies now; for tests. */
    RoutingTable routing() {
        return table;
    }

    /** Whether a control command is still loading or waiting; for tests. */
    boolean commandsWaiting() {
        return loading != null || !commands.isEmpty();
    }

    @Override
    public void close() throws Exception {
        try {
            if (loader != null) {
                loader.shutdownNow();
            }
            if (loading != null) {
                loading.thenAccept(LoadedModel::close);
            }
            if (models != null) {
                for (LoadedModel model : models.values()) {
                    model.close();
                }
                models.clear();
            }
        } finally {
            super.close();
        }
    }
}
