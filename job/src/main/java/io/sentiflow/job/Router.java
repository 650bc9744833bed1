package io.sentiflow.job;

import ai.djl.Device;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sentiflow.model.registry.RegistryException;
import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which model version scores each review, and the versions resident on this subtask's device: the
 * {@link RoutingTable}, the control commands waiting to apply, and the background loads they need.
 * Plain Java but for the mailbox a load's end re-enters through; all its methods run on the task
 * thread.
 *
 * <p>Commands apply in order, one at a time. One that names a version first loads it on a loader
 * thread (files checked, model put on the device and warmed up) while reviews keep flowing under
 * the old table; a resident version is only checked again. Invalid, oversized, unknown, retired,
 * tampered or inapplicable commands are refused through the {@link Listener}, and at most {@code
 * maxPending} commands wait. Before the table changes the listener drains the batches in flight, so
 * no version is unloaded while the scorer uses it. Versions no longer routed are unloaded, except
 * the rollback target while fewer than {@code maxLoaded} are resident.
 */
final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** What the router tells its operator. */
    interface Listener {
        /** A command was refused and must be dead-lettered. */
        void refused(
                KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message);

        /**
         * A command was refused because its version did not load on this subtask; other subtasks
         * may have loaded it.
         */
        void notLoaded(
                KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message);

        /** Something happened to a version: loaded, unloaded, refused, routing changed. */
        void event(ModelEvent.Type type, String version, ModelControl control, String message);

        /** The table is about to change: every batch in flight must finish first. */
        void drain() throws Exception;

        /** A version left the device. */
        void unloaded(String version);

        /**
         * A control record was applied or refused: every record of {@code topic}/{@code partition}
         * up to {@code position} now is, and {@code table} is the routing.
         */
        void judged(
                RoutingTable table, String topic, int partition, long position, String commandId);
    }

    /** A control command waiting to apply, with the record it came in. */
    private record Command(ModelControl control, KafkaRecord source) {}

    /**
     * How many judged command ids are remembered, to refuse one sent again; with signed commands
     * {@code control.max-age-ms} refuses older replays.
     */
    static final int REMEMBERED_COMMANDS = 1024;

    private final ModelCatalog catalog;
    private final CommandTrust trust;
    private final int maxLoaded;
    private final int controlMaxBytes;
    private final int maxPending;
    private final Listener listener;
    private final Map<String, LoadedModel> models = new LinkedHashMap<>();
    private final ArrayDeque<Command> commands = new ArrayDeque<>();
    private final LinkedHashSet<String> applied = new LinkedHashSet<>();
    private RoutingTable table;
    private final RoutingTable initial;
    private List<KafkaRecord> restored = new ArrayList<>();
    private KafkaRecord lastSeen;
    private Device device;
    private MailboxExecutor mailbox;
    private ExecutorService loader;
    private CompletableFuture<LoadedModel> loading;

    /**
     * @param initial the routing to start from when no state is restored (from the routing topic),
     *     or null for the catalog's initial version alone
     */
    Router(
            ModelCatalog catalog,
            CommandTrust trust,
            int maxLoaded,
            int controlMaxBytes,
            int maxPending,
            Listener listener,
            RoutingTable initial) {
        this.catalog = catalog;
        this.initial = initial;
        this.trust = trust;
        this.maxLoaded = maxLoaded;
        this.controlMaxBytes = controlMaxBytes;
        this.maxPending = maxPending;
        this.listener = listener;
    }

    /** The routing and waiting commands of a snapshot ({@link #snapshotTable}, …); null: none. */
    void restore(String savedTable, String savedCommands, String savedApplied) throws IOException {
        if (savedTable != null) {
            table = MAPPER.readValue(savedTable, RoutingTable.class);
        }
        if (savedCommands != null) {
            restored = MAPPER.readValue(savedCommands, new TypeReference<List<KafkaRecord>>() {});
        }
        if (savedApplied != null) {
            for (String id : MAPPER.readValue(savedApplied, new TypeReference<List<String>>() {})) {
                remember(id);
            }
        }
    }

    /** The ids of the last {@value #REMEMBERED_COMMANDS} commands judged, oldest first. */
    String snapshotApplied() throws IOException {
        return MAPPER.writeValueAsString(new ArrayList<>(applied));
    }

    private void remember(String commandId) {
        applied.remove(commandId);
        applied.add(commandId);
        if (applied.size() > REMEMBERED_COMMANDS) {
            Iterator<String> oldest = applied.iterator();
            oldest.next();
            oldest.remove();
        }
    }

    String snapshotTable() throws IOException {
        return MAPPER.writeValueAsString(table);
    }

    String snapshotCommands() throws IOException {
        List<KafkaRecord> waiting = new ArrayList<>();
        for (Command command : commands) {
            waiting.add(command.source());
        }
        return MAPPER.writeValueAsString(waiting);
    }

    /**
     * Loads every routed version onto {@code device}, on the task thread: nothing flows before they
     * are in. A canary or shadow that no longer loads is routed around; a production version that
     * does not load hands over to its rollback target when that loads, else this throws with the
     * reason.
     *
     * @return what was refused, for model events
     */
    List<String> open(Device device, int subtask, MailboxExecutor mailbox) throws Exception {
        this.device = device;
        this.mailbox = mailbox;
        this.loader =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread thread =
                                    new Thread(runnable, "sentiflow-model-loader-" + subtask);
                            thread.setDaemon(true);
                            return thread;
                        });
        if (table == null) {
            table = initial != null ? initial : RoutingTable.initial(catalog.initialVersion());
        }
        List<String> refused = new ArrayList<>();
        loadRoutedVersions(refused);
        for (KafkaRecord record : restored) {
            // Accepted before the snapshot: their ids are among the judged ones already.
            enqueue(record, true);
        }
        restored = null;
        return refused;
    }

    private void loadRoutedVersions(List<String> refused) throws IOException {
        for (String version : new ArrayList<>(table.versions())) {
            try {
                models.put(version, load(version));
            } catch (IOException | RuntimeException e) {
                if (!version.equals(table.production())) {
                    LOG.warn(
                            "routed version {} no longer loads, routing around it: {}", version, e);
                    refused.add(version + " no longer loads, routed around: " + e.getMessage());
                    table = table.without(version);
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
                table = table.rolledBack();
                loadRoutedVersions(refused);
                return;
            }
        }
    }

    private LoadedModel load(String version) throws IOException {
        // The catalog reads and checks the files; the model loads from those very bytes.
        return LoadedModel.load(version, catalog.load(version), device);
    }

    RoutingTable table() {
        return table;
    }

    /** The resident versions, in load order. */
    Map<String, LoadedModel> models() {
        return models;
    }

    /** The model that scores this review. */
    LoadedModel route(String reviewId) {
        return models.get(table.route(reviewId));
    }

    LoadedModel model(String version) {
        return models.get(version);
    }

    /** The shadow that also scores batches of {@code version}, or null. */
    LoadedModel shadowOf(String version) {
        String shadow = table.shadow();
        return shadow == null || shadow.equals(version) ? null : models.get(shadow);
    }

    /** Whether a control command is still loading or waiting. */
    boolean commandsWaiting() {
        return loading != null || !commands.isEmpty();
    }

    /** A refusal, dead-lettered, and the progress it makes through the control topic. */
    private void refuse(
            KafkaRecord record, ModelControl control, DeadLetter.Reason reason, String message) {
        listener.refused(record, control, reason, message);
        progress(control);
    }

    /**
     * Tells the listener how far the control topic is judged: up to the record seen last, or just
     * before the oldest command still waiting.
     */
    private void progress(ModelControl control) {
        if (lastSeen == null) {
            return;
        }
        KafkaRecord oldestWaiting = commands.isEmpty() ? null : commands.peek().source();
        long position = oldestWaiting != null ? oldestWaiting.offset - 1 : lastSeen.offset;
        listener.judged(
                table,
                lastSeen.topic,
                lastSeen.partition,
                position,
                control == null ? null : control.commandId());
    }

    /** Takes a record of the control topic: checked, queued, applied in turn. */
    void enqueue(KafkaRecord record) throws Exception {
        enqueue(record, false);
    }

    private void enqueue(KafkaRecord record, boolean restoredWaiting) throws Exception {
        lastSeen = record;
        if (record.value != null && record.value.length > controlMaxBytes) {
            refuse(
                    record,
                    null,
                    DeadLetter.Reason.RECORD_TOO_LARGE,
                    "control record has "
                            + record.value.length
                            + " bytes, more than control.max-bytes "
                            + controlMaxBytes);
            return;
        }
        ModelControl control;
        try {
            control = Json.modelControl(record.value);
        } catch (ContractViolation violation) {
            refuse(record, null, violation.reason(), violation.getMessage());
            return;
        }
        try {
            control = trust.check(control, record.timestamp);
        } catch (CommandTrust.Refused refused) {
            // The typed issuer of a command that failed its check is not recorded as if it were.
            refuse(
                    record,
                    trust.requiresSignatures()
                            ? control.withIssuer(CommandTrust.UNVERIFIED)
                            : control,
                    refused.reason(),
                    refused.getMessage());
            return;
        }
        if (!restoredWaiting && applied.contains(control.commandId())) {
            refuse(
                    record,
                    control,
                    DeadLetter.Reason.COMMAND_DUPLICATE,
                    "command "
                            + Sanitized.id(control.commandId())
                            + " was judged already; send a new command to retry");
            return;
        }
        // Judged once, whatever comes of it: a command refused now cannot be sent again later,
        // when it might apply (a signed command's replay). To retry, send a new command.
        remember(control.commandId());
        if (commands.size() >= maxPending) {
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
    private void startNextCommand() throws Exception {
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
            CompletableFuture<LoadedModel> started =
                    CompletableFuture.supplyAsync(() -> loadOrThrow(version, resident), loader);
            loading = started;
            started.whenComplete(
                    (model, failure) -> {
                        try {
                            mailbox.execute(
                                    () -> onLoaded(version, model, failure), "loaded %s", version);
                        } catch (RejectedExecutionException closing) {
                            if (model != null) {
                                model.close();
                            }
                        }
                    });
        }
    }

    /** The loaded version, or null when only its files were checked (it is resident already). */
    private LoadedModel loadOrThrow(String version, boolean resident) {
        try {
            if (resident) {
                catalog.load(version);
                return null;
            }
            return load(version);
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    private void onLoaded(String version, LoadedModel model, Throwable failure) throws Exception {
        Command head = commands.poll();
        loading = null;
        if (failure == null) {
            if (model != null) {
                models.put(version, model);
                listener.event(
                        ModelEvent.Type.LOADED, version, head.control(), loadedMessage(model));
            }
            apply(head);
        } else {
            Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause()
                            : failure;
            String message = String.valueOf(cause.getMessage());
            if (cause instanceof RegistryException registry && isSharedVerdict(registry)) {
                // The registry's verdict (unknown, retired, unsigned) is every subtask's.
                refuse(head.source(), head.control(), reasonFor(registry), message);
            } else {
                // Files that did not check out or load here (a partial copy from a remote
                // registry, device memory, weights that hold NaN): possibly this subtask's alone.
                listener.notLoaded(
                        head.source(),
                        head.control(),
                        cause instanceof RegistryException registry
                                ? reasonFor(registry)
                                : DeadLetter.Reason.MODEL_REFUSED,
                        message);
                progress(head.control());
            }
        }
        startNextCommand();
    }

    static String loadedMessage(LoadedModel model) {
        return "loaded and warmed up in " + model.loadMillis() + " ms";
    }

    /**
     * Whether every subtask reaches the same verdict: the registry's listing (unknown, retired) and
     * the signature's key (untrusted). Files that fail their checksums or do not load may be one
     * subtask's copy or device.
     */
    private static boolean isSharedVerdict(RegistryException e) {
        return e.problem() != RegistryException.Problem.INVALID_MODEL;
    }

    private static DeadLetter.Reason reasonFor(RegistryException e) {
        return switch (e.problem()) {
            case UNKNOWN_VERSION -> DeadLetter.Reason.UNKNOWN_MODEL_VERSION;
            case RETIRED -> DeadLetter.Reason.RETIRED_MODEL_VERSION;
            case INVALID_MODEL, ALREADY_PUBLISHED, UNTRUSTED -> DeadLetter.Reason.MODEL_REFUSED;
        };
    }

    /**
     * The new table takes effect for every review after this point; batches in flight finish on
     * their versions first.
     */
    private void apply(Command command) throws Exception {
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
        listener.drain();
        table = next;
        ModelControl control = command.control();
        LOG.info(
                "applied {} {} from {} (command {})",
                control.action().wire(),
                control.modelVersion() == null ? "" : Sanitized.id(control.modelVersion()),
                Sanitized.id(control.issuedBy()),
                Sanitized.id(control.commandId()));
        listener.event(
                ModelEvent.Type.ROUTED, table.production(), control, control.action().wire());
        unloadUnrouted(control);
        progress(control);
    }

    private void unloadUnrouted(ModelControl control) {
        String keep = table.rollbackTarget();
        Iterator<Map.Entry<String, LoadedModel>> it = models.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, LoadedModel> entry = it.next();
            String version = entry.getKey();
            boolean routed = table.versions().contains(version);
            boolean roomForRollback = version.equals(keep) && table.versions().size() < maxLoaded;
            if (!routed && !roomForRollback) {
                entry.getValue().close();
                it.remove();
                listener.unloaded(version);
                listener.event(ModelEvent.Type.UNLOADED, version, control, "no longer routed");
            }
        }
    }

    @Override
    public void close() {
        if (loader != null) {
            loader.shutdownNow();
        }
        if (loading != null) {
            loading.thenAccept(
                    model -> {
                        if (model != null) {
                            model.close();
                        }
                    });
        }
        for (LoadedModel model : models.values()) {
            model.close();
        }
        models.clear();
    }
}
