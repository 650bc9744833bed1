package io.sentiflow.job;

import ai.djl.Device;
import io.sentiflow.model.Devices;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelRouting;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
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
import org.apache.flink.metrics.Gauge;
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
 * flow. The operator only connects Flink's life cycle and state to its parts, as {@code
 * AsyncWaitOperator} does: the {@link Router} (routing table, commands, background loads), the
 * {@link BatchDispatcher} (the {@link Batcher}'s queues by version and length, handed to the {@link
 * Scorer}, a thread of its own that runs the models), {@link ScoredOutput} (what a score becomes,
 * with {@link SubtaskHealth}, this subtask's health window) and {@link ControlReports} (model
 * events, refused commands, the routing).
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

    private final ModelCatalog catalog;
    private final ScoringSettings settings;
    private final RoutingTable initialRouting;

    private transient Router router;
    private transient BatchDispatcher dispatcher;
    private transient ScoredOutput results;
    private transient ControlReports reports;
    private transient BroadcastState<String, String> routingState;
    private transient ListState<ParsedReview> waitingState;

    public ScoreBatch(ModelCatalog catalog, ScoringSettings settings) {
        this(catalog, settings, null);
    }

    /**
     * @param initialRouting the routing to start from when no state is restored (what the routing
     *     topic recorded last), or null to start from the catalog's initial version
     */
    public ScoreBatch(ModelCatalog catalog, ScoringSettings settings, RoutingTable initialRouting) {
        this.catalog = catalog;
        this.settings = settings;
        this.initialRouting = initialRouting;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        ScoringSettings.Control control = settings.control();
        router =
                new Router(
                        catalog,
                        control.trust(),
                        control.maxLoaded(),
                        control.maxBytes(),
                        control.maxPending(),
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
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        Device device = device(subtask);
        MailboxExecutor mailbox =
                getContainingTask()
                        .getMailboxExecutorFactory()
                        .createExecutor(getOperatorConfig().getChainIndex());
        OperatorOutput out = operatorOutput();
        SubtaskHealth health =
                new SubtaskHealth(
                        settings.health().windowMs(), settings.health().driftSamples(), subtask);
        results =
                new ScoredOutput(
                        settings.results(),
                        settings.health().driftThreshold(),
                        health,
                        subtask,
                        out,
                        getMetricGroup());
        reports =
                new ControlReports(
                        subtask,
                        device.toString(),
                        settings.results().deadLetters(),
                        out,
                        () -> router.table(),
                        getMetricGroup());
        dispatcher =
                new BatchDispatcher(
                        settings.batching(),
                        new Scorer(subtask, mailbox),
                        new BatchDispatcher.Models() {
                            @Override
                            public LoadedModel model(String version) {
                                return router.model(version);
                            }

                            @Override
                            public LoadedModel shadowOf(String version) {
                                return router.shadowOf(version);
                            }
                        },
                        getProcessingTimeService(),
                        mailbox,
                        getMetricGroup(),
                        result -> results.write(result, System.currentTimeMillis()));
        getMetricGroup()
                .gauge("loadedModelVersions", (Gauge<Integer>) () -> router.models().size());
        List<String> refusedAtStart = router.open(device, subtask, mailbox);
        LOG.info(
                "subtask {} scores on {} with routing {}", subtask, device, router.snapshotTable());
        // The first health window starts once the models are in (loading can take seconds).
        long now = getProcessingTimeService().getCurrentProcessingTime();
        health.start(now);
        // Reported through the mailbox, once the operator is running.
        getProcessingTimeService().registerTimer(now, time -> reportStart(refusedAtStart));
        scheduleHealthWindow(now);
        requeueRestored(subtask);
    }

    /** The device this subtask scores on: its own GPU where the slot has one. */
    private Device device(int subtask) {
        int cpuThreads = settings.placement().cpuThreads();
        if (cpuThreads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(cpuThreads));
        }
        List<String> gpus = new ArrayList<>();
        for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos("gpu")) {
            info.getProperty("index").ifPresent(gpus::add);
        }
        OptionalInt gpu = DeviceAssignment.gpuIndex(gpus, subtask);
        return Devices.select(settings.placement().device(), gpu.orElse(subtask));
    }

    /** The operator's own output, for its parts. */
    private OperatorOutput operatorOutput() {
        return new OperatorOutput() {
            @Override
            public void sentiment(Sentiment sentiment) {
                output.collect(new StreamRecord<>(sentiment));
            }

            @Override
            public <T> void side(OutputTag<T> tag, T value) {
                output.collect(tag, new StreamRecord<>(value));
            }
        };
    }

    private void reportStart(List<String> refusedAtStart) {
        for (LoadedModel model : router.models().values()) {
            event(ModelEvent.Type.LOADED, model.version(), null, Router.loadedMessage(model));
        }
        for (String refusal : refusedAtStart) {
            event(ModelEvent.Type.REFUSED, null, null, refusal);
        }
        event(ModelEvent.Type.ROUTED, router.table().production(), null, "routing at start");
    }

    /**
     * Queues the reviews a checkpoint held (waiting or on the scorer) again, before any new review.
     * No backpressure here: after a scale-in a subtask may take more than {@code batch.max-pending}
     * of them, at most the old subtasks' bound; new input waits until the queue is below the bound
     * again.
     */
    private void requeueRestored(int subtask) throws Exception {
        int restored = 0;
        for (ParsedReview review : waitingState.get()) {
            queue(review);
            restored++;
        }
        if (restored > 0) {
            LOG.info("subtask {} queued {} reviews from the checkpoint again", subtask, restored);
            dispatcher.dispatch(false);
        }
    }

    // ---------------------------------------------------------------- reviews

    @Override
    public void processElement1(StreamRecord<ParsedReview> element) throws Exception {
        queue(element.getValue());
        dispatcher.dispatch(false);
        dispatcher.awaitRoom();
    }

    /** Routes a review, turns it into its version's ids and queues it. */
    private void queue(ParsedReview review) {
        LoadedModel model = router.route(review.id);
        long now = getProcessingTimeService().getCurrentProcessingTime();
        String text = review.text();
        dispatcher.add(new ReviewToScore(review, text, model.version(), model.encode(text), now));
    }

    // ---------------------------------------------------------------- health windows

    /** Closes this subtask's health window at the next multiple of its length (as health does). */
    private void scheduleHealthWindow(long now) {
        long windowMs = settings.health().windowMs();
        long end = now - Math.floorMod(now, windowMs) + windowMs;
        getProcessingTimeService()
                .registerTimer(
                        end,
                        time -> {
                            closeHealthWindow(end);
                            scheduleHealthWindow(time);
                        });
    }

    private void closeHealthWindow(long nextStart) {
        Map<String, long[]> references = new HashMap<>();
        for (LoadedModel model : router.models().values()) {
            references.put(model.version(), model.referenceHistogram());
        }
        results.closeWindow(nextStart, references);
    }

    // ---------------------------------------------------------------- control

    @Override
    public void processElement2(StreamRecord<KafkaRecord> element) throws Exception {
        router.enqueue(element.getValue());
    }

    @Override
    public void refused(
            KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message) {
        reports.refused(source, control, reason, message);
    }

    @Override
    public void notLoaded(
            KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message) {
        reports.notLoaded(source, control, reason, message);
    }

    @Override
    public void event(ModelEvent.Type type, String version, ModelControl control, String message) {
        reports.event(type, version, control, message);
    }

    @Override
    public void judged(
            RoutingTable table, String topic, int partition, long position, String commandId) {
        reports.judged(table, topic, partition, position, commandId);
    }

    /**
     * Scores everything waiting and waits for the scorer: before the routing changes, at the end of
     * the input.
     */
    @Override
    public void drain() throws Exception {
        dispatcher.drain();
    }

    @Override
    public void unloaded(String version) {
        dispatcher.forget(version);
    }

    // ---------------------------------------------------------------- for tests

    /** The routing this subtask applies now; for tests. */
    RoutingTable routing() {
        return router.table();
    }

    /**
     * Whether a control command is still loading or waiting, or a batch is in flight; for tests.
     */
    boolean busy() {
        return router.commandsWaiting() || dispatcher.busy() || dispatcher.waiting() > 0;
    }

    /** The scorer's load, as the dispatcher reads it; for tests. */
    ScorerLoad scorerLoad() {
        return dispatcher.load();
    }

    /** Whether all that is in flight waits only for the minimum delay's timer; for tests. */
    boolean waitsForDelay() {
        return !router.commandsWaiting() && dispatcher.waitsForDelay();
    }

    /** Reviews waiting for the scorer; for tests. */
    int waiting() {
        return dispatcher.waiting();
    }

    /** The text bytes a checkpoint would keep now: what waits and the batch on the scorer. */
    long waitingTextBytes() {
        return dispatcher.textBytes();
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Keeps the checkpoint small: beyond {@link #CHECKPOINT_TEXT_MAX_BYTES} of waiting text (long
     * reviews, a backlog), batches are scored before the barrier until what waits fits.
     */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        dispatcher.trimTo(CHECKPOINT_TEXT_MAX_BYTES);
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        waitingState.update(dispatcher.inFlight());
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
            if (dispatcher != null) {
                dispatcher.close();
            }
            if (router != null) {
                router.close();
            }
        } finally {
            super.close();
        }
    }
}
