package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelRouting;
import java.util.function.Supplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a scoring subtask reports of the control side: model events (loads, unloads, refusals,
 * routing changes), refused commands as dead letters, and the routing after each judged command.
 * Every subtask judges every command, so refused commands (their dead letter and event), routing
 * changes and the routing record are written by subtask 0 alone, once per job; loads, unloads and
 * the versions a subtask could not load at start (routed around) by each subtask, which has its own
 * device.
 */
final class ControlReports {
    private static final Logger LOG = LoggerFactory.getLogger(ControlReports.class);

    private final int subtask;
    private final String deviceName;
    private final DeadLetters deadLetters;
    private final OperatorOutput out;
    private final Supplier<RoutingTable> table;
    private final Counter applied;
    private final Counter refused;
    private final ThrottledLog refusedLog = new ThrottledLog(60_000);

    ControlReports(
            int subtask,
            String deviceName,
            DeadLetters deadLetters,
            OperatorOutput out,
            Supplier<RoutingTable> table,
            MetricGroup metrics) {
        this.subtask = subtask;
        this.deviceName = deviceName;
        this.deadLetters = deadLetters;
        this.out = out;
        this.table = table;
        this.applied = metrics.counter("controlCommandsApplied");
        this.refused = metrics.counter("controlCommandsRefused");
    }

    /**
     * A command refused: counted on every subtask, reported once. Each refusal is dead-lettered;
     * the log holds at most one line a minute, with how many were left out (a flood of forged
     * commands writes a bounded log).
     */
    void refused(
            KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message) {
        refused.inc();
        if (subtask == 0) {
            long leftOut = refusedLog.occurred(ThrottledLog.nowMs());
            if (leftOut >= 0) {
                // Once per job, not per subtask, and nothing from outside verbatim (no forged
                // lines).
                LOG.warn(
                        "refused control command {}: {} {}{}",
                        control == null ? "(unreadable)" : Sanitized.id(control.commandId()),
                        reason,
                        Sanitized.text(message, DeadLetter.MAX_MESSAGE_CHARS),
                        ThrottledLog.andMore(leftOut));
            }
            out.side(DeadLetters.TAG, deadLetters.letter(source, reason, message));
            event(
                    ModelEvent.Type.REFUSED,
                    control == null ? null : control.modelVersion(),
                    control,
                    reason + ": " + message);
        }
    }

    /**
     * A command refused because its version did not load on this subtask. A load is each subtask's
     * own (its device, its copy of the files), so another subtask may have loaded it and applied
     * the command: every subtask it failed on reports it (a REFUSED event naming the subtask and
     * its device, and a log line); when subtask 0 is among them, it dead-letters the command as any
     * refusal.
     */
    void notLoaded(
            KafkaRecord source, ModelControl control, DeadLetter.Reason reason, String message) {
        if (subtask == 0) {
            refused(source, control, reason, message);
            return;
        }
        refused.inc();
        long leftOut = refusedLog.occurred(ThrottledLog.nowMs());
        if (leftOut >= 0) {
            LOG.warn(
                    "subtask {} refused control command {}: its version did not load here: {} {}{}",
                    subtask,
                    Sanitized.id(control.commandId()),
                    reason,
                    Sanitized.text(message, DeadLetter.MAX_MESSAGE_CHARS),
                    ThrottledLog.andMore(leftOut));
        }
        event(ModelEvent.Type.REFUSED, control.modelVersion(), control, reason + ": " + message);
    }

    /** A model event; a routing change is counted on every subtask and reported once. */
    void event(ModelEvent.Type type, String version, ModelControl control, String message) {
        if (type == ModelEvent.Type.ROUTED) {
            if (control != null) {
                applied.inc();
            }
            if (subtask != 0) {
                return;
            }
        }
        out.side(
                ScoreBatch.MODEL_EVENTS,
                ModelEvent.of(
                        type,
                        version,
                        control == null ? null : control.commandId(),
                        control == null ? null : control.issuedBy(),
                        subtask,
                        deviceName,
                        message,
                        table.get()));
    }

    /** The routing after a command was judged, and how far the control topic is judged. */
    void judged(RoutingTable judged, String topic, int partition, long position, String commandId) {
        if (subtask == 0) {
            out.side(
                    ScoreBatch.ROUTING,
                    new ModelRouting(
                            judged.production(),
                            judged.previous(),
                            judged.canary(),
                            judged.canaryWeight(),
                            judged.shadow(),
                            topic,
                            partition,
                            position,
                            commandId,
                            System.currentTimeMillis(),
                            judged.canaryCommandId(),
                            judged.canaryAnalysis()));
        }
    }
}
