package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelRouting;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/**
 * Every subtask judges every command: what each one reports, and that only subtask 0 writes what
 * the job reports once.
 */
class ControlReportsTest {
    private static final String V1 = "textcnn-test@1";
    private static final String V2 = "textcnn-test@2";

    private final List<Object> written = new ArrayList<>();
    private final Map<String, Counter> counters = new HashMap<>();

    private ControlReports reports(int subtask) {
        OperatorOutput out =
                new OperatorOutput() {
                    @Override
                    public void sentiment(Sentiment sentiment) {
                        written.add(sentiment);
                    }

                    @Override
                    public <T> void side(OutputTag<T> tag, T value) {
                        written.add(value);
                    }
                };
        UnregisteredMetricsGroup metrics =
                new UnregisteredMetricsGroup() {
                    @Override
                    public Counter counter(String name) {
                        return counters.computeIfAbsent(name, n -> new SimpleCounter());
                    }
                };
        return new ControlReports(
                subtask,
                "cpu()",
                new DeadLetters(DeadLetter.DEFAULT_MAX_VALUE_BYTES),
                out,
                () -> RoutingTable.initial(V1),
                metrics);
    }

    private static ModelControl deploy(String id) {
        return new ModelControl(id, ModelControl.Action.DEPLOY, V2, null, "alice", 1L, null, null);
    }

    private static KafkaRecord record() {
        return new KafkaRecord(
                "model-control", 0, 7, 0L, "{\"forged\":true}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void subtaskZeroShouldDeadLetterAndReportARefusalOnceForTheJob() {
        ControlReports reports = reports(0);
        reports.refused(record(), deploy("c-1"), DeadLetter.Reason.UNKNOWN_MODEL_VERSION, "no v2");

        assertThat(written).hasSize(2);
        DeadLetter letter = (DeadLetter) written.get(0);
        assertThat(letter.reason()).isEqualTo(DeadLetter.Reason.UNKNOWN_MODEL_VERSION);
        assertThat(letter.sourceOffset()).isEqualTo(7);
        assertThat(new String(letter.originalBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"forged\":true}");
        ModelEvent event = (ModelEvent) written.get(1);
        assertThat(event.type).isEqualTo(ModelEvent.Type.REFUSED);
        assertThat(event.commandId).isEqualTo("c-1");
        assertThat(event.modelVersion).isEqualTo(V2);
        assertThat(event.message).isEqualTo("UNKNOWN_MODEL_VERSION: no v2");
        assertThat(event.production).isEqualTo(V1);
        assertThat(counters.get("controlCommandsRefused").getCount()).isEqualTo(1);
    }

    @Test
    void everyRefusalShouldBeDeadLetteredThoughTheLogIsThrottled() {
        ControlReports reports = reports(0);
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        try (LogCapture capture = new LogCapture(lines)) {
            for (int i = 0; i < 500; i++) {
                reports.refused(record(), null, DeadLetter.Reason.INVALID_JSON, "unreadable");
            }
        }
        assertThat(written).filteredOn(DeadLetter.class::isInstance).hasSize(500);
        assertThat(counters.get("controlCommandsRefused").getCount()).isEqualTo(500);
        assertThat(lines)
                .as("one line a minute at most")
                .filteredOn(line -> line.startsWith("refused control command"))
                .containsExactly("refused control command (unreadable): INVALID_JSON unreadable");
    }

    /** A load is each subtask's own: whichever subtask it failed on reports it. */
    @Test
    void aVersionThatDidNotLoadShouldBeReportedByTheSubtaskItFailedOn() {
        ControlReports other = reports(1);
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        try (LogCapture capture = new LogCapture(lines)) {
            other.notLoaded(
                    record(), deploy("c-3"), DeadLetter.Reason.MODEL_REFUSED, "out of memory");
            other.notLoaded(
                    record(), deploy("c-4"), DeadLetter.Reason.MODEL_REFUSED, "out of memory");
        }
        assertThat(lines)
                .filteredOn(line -> line.startsWith("subtask 1 refused control command"))
                .containsExactly(
                        "subtask 1 refused control command c-3: its version did not load here:"
                                + " MODEL_REFUSED out of memory");
        assertThat(written)
                .hasSize(2)
                .allSatisfy(e -> assertThat(e).isInstanceOf(ModelEvent.class));
        ModelEvent event = (ModelEvent) written.get(0);
        assertThat(event.type).isEqualTo(ModelEvent.Type.REFUSED);
        assertThat(event.subtask).isEqualTo(1);
        assertThat(event.modelVersion).isEqualTo(V2);
        assertThat(event.message).isEqualTo("MODEL_REFUSED: out of memory");
        assertThat(counters.get("controlCommandsRefused").getCount()).isEqualTo(2);

        written.clear();
        reports(0)
                .notLoaded(
                        record(), deploy("c-3"), DeadLetter.Reason.MODEL_REFUSED, "out of memory");
        assertThat(written).hasSize(2);
        assertThat(written.get(0)).isInstanceOf(DeadLetter.class);
        assertThat(((ModelEvent) written.get(1)).subtask).isZero();
    }

    @Test
    void otherSubtasksShouldCountButNotRepeatWhatTheJobReportsOnce() {
        ControlReports reports = reports(1);
        reports.refused(record(), null, DeadLetter.Reason.INVALID_JSON, "unreadable");
        reports.event(ModelEvent.Type.ROUTED, V2, deploy("c-2"), "deployed");
        reports.judged(RoutingTable.initial(V2), "model-control", 0, 8, "c-2");
        assertThat(written).isEmpty();
        assertThat(counters.get("controlCommandsRefused").getCount()).isEqualTo(1);
        assertThat(counters.get("controlCommandsApplied").getCount()).isEqualTo(1);

        // A load is each subtask's own: its device.
        reports.event(ModelEvent.Type.LOADED, V2, null, "loaded");
        assertThat(written).hasSize(1);
        ModelEvent loaded = (ModelEvent) written.get(0);
        assertThat(loaded.subtask).isEqualTo(1);
        assertThat(loaded.device).isEqualTo("cpu()");
    }

    @Test
    void subtaskZeroShouldRecordTheRoutingAndHowFarTheControlTopicIsJudged() {
        ControlReports reports = reports(0);
        reports.event(ModelEvent.Type.ROUTED, V2, null, "routing at start");
        reports.judged(RoutingTable.initial(V2), "model-control", 0, 8, "c-2");
        assertThat(written).hasSize(2);
        assertThat(counters.get("controlCommandsApplied").getCount())
                .as("a routing at start is no command")
                .isZero();
        ModelRouting routing = (ModelRouting) written.get(1);
        assertThat(routing.production()).isEqualTo(V2);
        assertThat(routing.controlTopic()).isEqualTo("model-control");
        assertThat(routing.controlOffset()).isEqualTo(8);
        assertThat(routing.commandId()).isEqualTo("c-2");
    }
}
