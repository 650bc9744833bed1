package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sentiflow.model.ModelFiles;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.model.trust.Keys;
import io.sentiflow.model.trust.TrustedKeys;
import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.Sentiment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing commands against the scoring operator, with real models in a real registry. */
class ModelRoutingTest {
    private static final String V1 = "textcnn-test@1";
    private static final String V2 = "textcnn-test@2";
    private static final String V3 = "textcnn-test@3";

    @TempDir static Path root;
    private static ModelRegistry registry;
    private static ModelCatalog catalog;

    private long offset;

    @BeforeAll
    static void publishThreeVersions() throws Exception {
        registry = new ModelRegistry(root.resolve("registry"));
        registry.publish(TestModel.directory());
        registry.publish(TestModel.version2());
        Path v3 = registry.publish(TestModel.version3()).directory();
        // Version 3 is changed after publishing: its weights no longer match the manifest.
        Files.write(v3.resolve(ModelFiles.WEIGHTS_FILE), new byte[] {1}, StandardOpenOption.APPEND);
        catalog = new ModelCatalog(null, V1, registry.root().toString());
    }

    private StreamRecord<KafkaRecord> command(
            ModelControl.Action action, String version, Integer weight) {
        ModelControl control =
                new ModelControl("c-" + offset, action, version, weight, "tester", null);
        return raw(Json.toBytes(control));
    }

    private StreamRecord<KafkaRecord> raw(byte[] value) {
        return new StreamRecord<>(new KafkaRecord("model-control", 0, offset++, 0L, value));
    }

    /** Lets the background load finish and the operator apply what waits. */
    private static void settle(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness)
            throws Exception {
        ScoreBatchTest.settle(harness);
    }

    private static Map<String, String> versionsWithPrefix(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness,
            String prefix) {
        Map<String, String> selected = new TreeMap<>(versionsById(harness));
        selected.keySet().removeIf(id -> !id.startsWith(prefix));
        assertThat(selected).as("reviews %s*", prefix).isNotEmpty();
        return selected;
    }

    private static Map<String, String> versionsById(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness) {
        Map<String, String> versions = new TreeMap<>();
        for (Sentiment review : harness.extractOutputValues()) {
            assertThat(versions.put(review.reviewId(), review.modelVersion())).isNull();
        }
        return versions;
    }

    private static List<DeadLetter> deadLetters(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness) {
        var letters = harness.getSideOutput(DeadLetters.TAG);
        return letters == null
                ? List.of()
                : StreamSupport.stream(letters.spliterator(), false)
                        .map(StreamRecord::getValue)
                        .toList();
    }

    private static List<ModelEvent> events(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness) {
        var events = harness.getSideOutput(ScoreBatch.MODEL_EVENTS);
        return events == null
                ? List.of()
                : StreamSupport.stream(events.spliterator(), false)
                        .map(StreamRecord::getValue)
                        .toList();
    }

    private static void send(
            TwoInputStreamOperatorTestHarness<ParsedReview, KafkaRecord, Sentiment> harness,
            String prefix,
            int count)
            throws Exception {
        for (int i = 0; i < count; i++) {
            harness.processElement1(ScoreBatchTest.review(prefix + i));
        }
        ((ScoreBatch) harness.getOperator()).drain();
    }

    @Test
    void aDeployShouldSwitchEveryLaterReviewAndRefusalsShouldChangeNothing() throws Exception {
        try (var harness = ScoreBatchTest.harness(catalog, null)) {
            send(harness, "before-", 10);
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            settle(harness);
            send(harness, "after-", 10);

            Map<String, String> versions = versionsById(harness);
            versions.forEach(
                    (id, version) ->
                            assertThat(version)
                                    .as(id)
                                    .isEqualTo(id.startsWith("before-") ? V1 : V2));
            assertThat(((ScoreBatch) harness.getOperator()).routing().production()).isEqualTo(V2);
            assertThat(((ScoreBatch) harness.getOperator()).routing().rollbackTarget())
                    .isEqualTo(V1);

            // Refused: tampered, unknown, not a command, not applicable now.
            harness.processElement2(command(ModelControl.Action.DEPLOY, V3, null));
            harness.processElement2(command(ModelControl.Action.CANARY, "textcnn-test@9", 20));
            harness.processElement2(
                    raw("{\"action\": \"deploy\"".getBytes(StandardCharsets.UTF_8)));
            harness.processElement2(command(ModelControl.Action.CLEAR_SHADOW, null, null));
            settle(harness);
            send(harness, "later-", 10);
            assertThat(versionsWithPrefix(harness, "later-"))
                    .allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
            assertThat(deadLetters(harness))
                    .extracting(DeadLetter::reason)
                    .containsExactlyInAnyOrder(
                            DeadLetter.Reason.MODEL_REFUSED,
                            DeadLetter.Reason.UNKNOWN_MODEL_VERSION,
                            DeadLetter.Reason.INVALID_JSON,
                            DeadLetter.Reason.COMMAND_NOT_APPLICABLE);
            assertThat(deadLetters(harness))
                    .filteredOn(l -> l.reason() == DeadLetter.Reason.MODEL_REFUSED)
                    .singleElement()
                    .extracting(DeadLetter::message)
                    .asString()
                    .contains("checksum mismatch for " + ModelFiles.WEIGHTS_FILE);
            assertThat(deadLetters(harness))
                    .allSatisfy(l -> assertThat(l.sourceTopic()).isEqualTo("model-control"));
            assertThat(events(harness))
                    .anySatisfy(
                            e -> {
                                assertThat(e.type).isEqualTo(ModelEvent.Type.REFUSED);
                                assertThat(e.modelVersion).isEqualTo(V3);
                                assertThat(e.production).isEqualTo(V2);
                            })
                    .anySatisfy(
                            e -> {
                                assertThat(e.type).isEqualTo(ModelEvent.Type.LOADED);
                                assertThat(e.modelVersion).isEqualTo(V2);
                                assertThat(e.commandId).isEqualTo("c-0");
                            });

            // Rollback returns to version 1, which was kept resident for it.
            harness.processElement2(command(ModelControl.Action.ROLLBACK, null, null));
            settle(harness);
            send(harness, "rolled-back-", 5);
            assertThat(versionsWithPrefix(harness, "rolled-back-"))
                    .allSatisfy((id, v) -> assertThat(v).isEqualTo(V1));
        }
    }

    @Test
    void aCanaryShouldTakeItsShareByAStableHashAndTheShadowOnlyCompare() throws Exception {
        try (var harness = ScoreBatchTest.harness(catalog, null)) {
            harness.processElement2(command(ModelControl.Action.CANARY, V2, 30));
            harness.processElement2(
                    command(ModelControl.Action.SHADOW, V3.replace("3", "1"), null));
            settle(harness);
            // Shadowing production is refused; version 1 is production here.
            assertThat(deadLetters(harness))
                    .extracting(DeadLetter::reason)
                    .containsExactly(DeadLetter.Reason.COMMAND_NOT_APPLICABLE);
            send(harness, "review-", 400);
            Map<String, String> versions = versionsById(harness);
            assertThat(versions).hasSize(400);
            versions.forEach(
                    (id, version) ->
                            assertThat(version)
                                    .as(id)
                                    .isEqualTo(RoutingTable.bucket(id) < 30 ? V2 : V1));
            long canary = versions.values().stream().filter(V2::equals).count();
            assertThat(canary / 400.0).isBetween(0.22, 0.38);
        }
    }

    @Test
    void aRegistryOnAFlinkFileSystemShouldBeMirroredAndCheckedTheSameWay() throws Exception {
        String uri = registry.root().toUri().toString();
        assertThat(uri).startsWith("file:");
        ModelCatalog remote = new ModelCatalog(null, V1, uri);
        io.sentiflow.model.VerifiedModel mirrored = remote.load(V2);
        assertThat(mirrored.directory()).isNotEqualTo(registry.directoryOf(V2));
        assertThat(mirrored.manifest().files())
                .isEqualTo(io.sentiflow.model.ModelManifest.checksums(registry.directoryOf(V2)));
        // The mirror's copy is gone once read: the checked bytes are in memory.
        assertThat(mirrored.directory().getParent().getParent()).doesNotExist();
        assertThat(remote.manifest(V2).files()).isEqualTo(mirrored.manifest().files());
        assertThatThrownBy(() -> remote.load(V3)).hasMessageContaining("checksum mismatch");
        assertThatThrownBy(() -> remote.load("textcnn-test@9"))
                .hasMessageContaining("has no version textcnn-test@9");
        try (var harness = ScoreBatchTest.harness(remote, null)) {
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            settle(harness);
            send(harness, "mirrored-", 5);
            assertThat(versionsWithPrefix(harness, "mirrored-"))
                    .allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
        }
    }

    /**
     * Reading a remote version's manifest (as the health task does for each version it reports)
     * copies the manifest alone: a version whose weights are past what a model file may hold is
     * refused by {@code load}, and its manifest still reads.
     */
    @Test
    void aRemoteManifestShouldBeReadWithoutCopyingTheWeights(@TempDir Path other) throws Exception {
        ModelRegistry own = new ModelRegistry(other.resolve("registry"));
        Path v1 = own.publish(TestModel.directory()).directory();
        try (var weights =
                new java.io.RandomAccessFile(v1.resolve(ModelFiles.WEIGHTS_FILE).toFile(), "rw")) {
            weights.setLength(io.sentiflow.model.VerifiedModel.MAX_FILE_BYTES + 1L);
        }
        ModelCatalog remote = new ModelCatalog(null, V1, own.root().toUri().toString());
        assertThatThrownBy(() -> remote.load(V1))
                .hasMessageContaining("more than a model file may have");
        assertThat(remote.manifest(V1).version()).isEqualTo("1");
        // Files each under the bound, over it in all: refused before anything is copied.
        for (String name : new String[] {ModelFiles.WEIGHTS_FILE, "a.bin", "b.bin"}) {
            try (var file = new java.io.RandomAccessFile(v1.resolve(name).toFile(), "rw")) {
                file.setLength(900L << 20);
            }
        }
        assertThatThrownBy(() -> remote.load(V1))
                .hasMessageContaining(
                        "more than the "
                                + io.sentiflow.model.VerifiedModel.MAX_TOTAL_BYTES
                                + " a model may have in all");
    }

    @Test
    void aRollbackToAVersionRetiredSinceShouldBeRefused(@TempDir Path other) throws Exception {
        ModelRegistry own = new ModelRegistry(other);
        own.publish(TestModel.directory());
        own.publish(TestModel.version2());
        ModelCatalog ownCatalog = new ModelCatalog(null, V1, own.root().toString());
        try (var harness = ScoreBatchTest.harness(ownCatalog, null)) {
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            settle(harness);
            own.retire(V1, "tester", "found wanting");
            harness.processElement2(command(ModelControl.Action.ROLLBACK, null, null));
            settle(harness);
            assertThat(deadLetters(harness))
                    .extracting(DeadLetter::reason)
                    .containsExactly(DeadLetter.Reason.RETIRED_MODEL_VERSION);
            send(harness, "still-", 5);
            assertThat(versionsWithPrefix(harness, "still-"))
                    .allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
        }
    }

    @Test
    void routingAndWaitingCommandsShouldSurviveARestore() throws Exception {
        OperatorSubtaskState state;
        try (var harness = ScoreBatchTest.harness(catalog, null)) {
            harness.processElement2(command(ModelControl.Action.CANARY, V2, 50));
            settle(harness);
            // The next command is still waiting when the snapshot is taken.
            harness.processElement2(command(ModelControl.Action.CLEAR_CANARY, null, null));
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            harness.prepareSnapshotPreBarrier(3);
            state = harness.snapshot(3, 3);
        }
        try (var restored = ScoreBatchTest.harness(catalog, state)) {
            settle(restored);
            RoutingTable routing = ((ScoreBatch) restored.getOperator()).routing();
            assertThat(routing.production()).isEqualTo(V2);
            assertThat(routing.canary()).isNull();
            send(restored, "restored-", 20);
            assertThat(versionsById(restored)).allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
        }
        // A snapshot with nothing waiting restores the table exactly.
        try (var harness = ScoreBatchTest.harness(catalog, null)) {
            harness.processElement2(command(ModelControl.Action.CANARY, V2, 40));
            settle(harness);
            harness.prepareSnapshotPreBarrier(4);
            state = harness.snapshot(4, 4);
        }
        try (var restored = ScoreBatchTest.harness(catalog, state)) {
            RoutingTable routing = ((ScoreBatch) restored.getOperator()).routing();
            assertThat(routing)
                    .isEqualTo(
                            new RoutingTable(
                                    V1, List.of(), V2, 40, null, routing.canaryCommandId(), null));
            assertThat(routing.canaryCommandId()).as("the canary command is kept").isNotBlank();
            List<String> loaded = new ArrayList<>();
            restored.setProcessingTime(1);
            events(restored).stream()
                    .filter(e -> e.type == ModelEvent.Type.LOADED)
                    .forEach(e -> loaded.add(e.modelVersion));
            assertThat(loaded).containsExactlyInAnyOrder(V1, V2);
        }
    }

    @Test
    void aStaleDelayTimerAfterClearCanaryMidBatchShouldThrowNothingAndLoseNothing()
            throws Exception {
        try (var harness = ScoreBatchTest.harness(catalog, null)) {
            harness.processElement2(command(ModelControl.Action.CANARY, V2, 100));
            settle(harness);
            long now = harness.getProcessingTime();
            // One review opens a canary batch and its delay timer; the canary goes mid-batch.
            harness.processElement1(ScoreBatchTest.review("mid-batch"));
            harness.processElement2(command(ModelControl.Action.CLEAR_CANARY, null, null));
            settle(harness);
            assertThat(events(harness))
                    .anySatisfy(
                            e -> {
                                assertThat(e.type).isEqualTo(ModelEvent.Type.UNLOADED);
                                assertThat(e.modelVersion).isEqualTo(V2);
                            });
            // The batch's timer fires for a version that is gone: nothing happens.
            harness.setProcessingTime(now + 1_000);
            send(harness, "after-", 5);
            harness.setProcessingTime(now + 2_000);
            Map<String, String> versions = versionsById(harness);
            assertThat(versions).hasSize(6).containsEntry("mid-batch", V2);
            assertThat(versionsWithPrefix(harness, "after-"))
                    .allSatisfy((id, v) -> assertThat(v).isEqualTo(V1));
        }
    }

    /**
     * A version the registry accepts but a subtask cannot load (its weights hold +∞; on a GPU, say,
     * its device out of memory) is each subtask's own failure: subtask 1 reports it with a REFUSED
     * event naming itself, as subtask 0 does, and only subtask 0 dead-letters the command. A
     * registry verdict (an unknown version) is every subtask's, reported by subtask 0 alone.
     */
    @Test
    void aVersionThatDoesNotLoadOnASubtaskShouldBeReportedByThatSubtask(@TempDir Path other)
            throws Exception {
        ModelRegistry own = new ModelRegistry(other.resolve("registry"));
        own.publish(TestModel.directory());
        own.publish(TestModel.withInfiniteWeight(TestModel.version2(), other.resolve("v2")));
        // Version 3's copy fails its checksums: a copy cut short looks the same to a subtask.
        Path v3 = own.publish(TestModel.version3()).directory();
        Files.write(v3.resolve(ModelFiles.WEIGHTS_FILE), new byte[] {1}, StandardOpenOption.APPEND);
        ModelCatalog ownCatalog = new ModelCatalog(null, V1, own.root().toString());
        for (int subtask : new int[] {0, 1}) {
            try (var harness =
                    new TwoInputStreamOperatorTestHarness<>(
                            new ScoreBatch(ownCatalog, ScoringSettings.of("cpu", 8, 0)),
                            2,
                            2,
                            subtask)) {
                harness.setProcessingTime(0);
                harness.open();
                harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
                settle(harness);
                harness.processElement2(command(ModelControl.Action.DEPLOY, V3, null));
                settle(harness);
                harness.processElement2(
                        command(ModelControl.Action.DEPLOY, "textcnn-test@9", null));
                settle(harness);
                send(harness, "after-" + subtask + "-", 4);

                assertThat(versionsById(harness))
                        .allSatisfy((id, v) -> assertThat(v).isEqualTo(V1));
                List<ModelEvent> refusals =
                        events(harness).stream()
                                .filter(e -> e.type == ModelEvent.Type.REFUSED)
                                .toList();
                assertThat(refusals)
                        .as("subtask %d", subtask)
                        .filteredOn(e -> V2.equals(e.modelVersion))
                        .singleElement()
                        .satisfies(
                                e -> {
                                    assertThat(e.subtask).isEqualTo(subtask);
                                    assertThat(e.message)
                                            .contains("MODEL_REFUSED", "NaN or infinite");
                                });
                assertThat(refusals)
                        .as("a version whose files fail their checksums, subtask %d", subtask)
                        .filteredOn(e -> V3.equals(e.modelVersion))
                        .singleElement()
                        .satisfies(e -> assertThat(e.message).contains("checksum mismatch"));
                assertThat(refusals)
                        .as("an unknown version, subtask %d", subtask)
                        .filteredOn(e -> "textcnn-test@9".equals(e.modelVersion))
                        .hasSize(subtask == 0 ? 1 : 0);
                assertThat(deadLetters(harness))
                        .as("subtask %d", subtask)
                        .extracting(DeadLetter::reason)
                        .containsExactlyElementsOf(
                                subtask == 0
                                        ? List.of(
                                                DeadLetter.Reason.MODEL_REFUSED,
                                                DeadLetter.Reason.MODEL_REFUSED,
                                                DeadLetter.Reason.UNKNOWN_MODEL_VERSION)
                                        : List.of());
            }
        }
    }

    @Test
    void aProductionVersionThatNoLongerLoadsShouldFallBackToItsRollbackTarget(@TempDir Path other)
            throws Exception {
        ModelRegistry own = new ModelRegistry(other);
        own.publish(TestModel.directory());
        Path v2 = own.publish(TestModel.version2()).directory();
        ModelCatalog ownCatalog = new ModelCatalog(null, V1, own.root().toString());
        OperatorSubtaskState deployed;
        try (var harness = ScoreBatchTest.harness(ownCatalog, null)) {
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            settle(harness);
            harness.prepareSnapshotPreBarrier(1);
            deployed = harness.snapshot(1, 1);
        }
        // Production's files change while the job is down: it falls back to version 1.
        Files.write(v2.resolve("textcnn-0001.params"), new byte[] {1, 2, 3});
        try (var restored = ScoreBatchTest.harness(ownCatalog, deployed)) {
            RoutingTable routing = ((ScoreBatch) restored.getOperator()).routing();
            assertThat(routing.production()).isEqualTo(V1);
            assertThat(routing.rollbackTarget()).isNull();
            send(restored, "fallback-", 5);
            assertThat(versionsById(restored)).allSatisfy((id, v) -> assertThat(v).isEqualTo(V1));
            restored.setProcessingTime(restored.getProcessingTime() + 1);
            assertThat(events(restored))
                    .anySatisfy(
                            e -> {
                                assertThat(e.type).isEqualTo(ModelEvent.Type.REFUSED);
                                assertThat(e.message)
                                        .contains("production " + V2, "fell back to " + V1);
                            });
        }
        // With nowhere to fall back to, the operator fails at once with the reason.
        own.retire(V1, "tester", "gone");
        assertThatThrownBy(() -> ScoreBatchTest.harness(ownCatalog, deployed))
                .hasMessageContaining("cannot load the production model " + V1)
                .hasMessageContaining("retired")
                .hasMessageContaining("production " + V2 + " does not load")
                .hasMessageContaining("does not list");
    }

    @Test
    void oversizedCommandsAndAFloodOfCommandsShouldBeRefusedNotQueued() throws Exception {
        try (var harness = ScoreBatchTest.harness(catalog, null)) {
            byte[] huge = new byte[900_000];
            java.util.Arrays.fill(huge, (byte) 'x');
            harness.processElement2(raw(huge));
            // A load keeps the queue from moving; 100 commands may wait, the rest are refused.
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            for (int i = 0; i < 150; i++) {
                harness.processElement2(command(ModelControl.Action.CLEAR_SHADOW, null, null));
            }
            settle(harness);
            List<DeadLetter> letters = deadLetters(harness);
            assertThat(letters.get(0).reason()).isEqualTo(DeadLetter.Reason.RECORD_TOO_LARGE);
            assertThat(letters.get(0).truncated()).isTrue();
            assertThat(letters.get(0).originalSize()).isEqualTo(900_000);
            assertThat(letters.get(0).originalBytes()).hasSize(DeadLetter.DEFAULT_MAX_VALUE_BYTES);
            assertThat(letters)
                    .filteredOn(l -> l.message().contains("already waiting"))
                    .hasSize(51);
            assertThat(letters)
                    .filteredOn(l -> l.message().contains("no shadow to clear"))
                    .hasSize(99);
            assertThat(((ScoreBatch) harness.getOperator()).routing().production()).isEqualTo(V2);

            // The recorded position never passes a command still waiting: while the deploy at
            // offset 1 loads, refusals behind it leave the position at 0; once it has applied, the
            // position follows every record judged, up to the last one (offset 151).
            List<io.sentiflow.schemas.ModelRouting> routings =
                    StreamSupport.stream(
                                    harness.getSideOutput(ScoreBatch.ROUTING).spliterator(), false)
                            .map(StreamRecord::getValue)
                            .toList();
            assertThat(routings).hasSize(152);
            assertThat(routings.get(0).controlOffset()).isZero();
            assertThat(routings)
                    .filteredOn(r -> r.production().equals(V1))
                    .allSatisfy(r -> assertThat(r.controlOffset()).isZero());
            assertThat(routings.get(routings.size() - 1).controlOffset()).isEqualTo(151);
            assertThat(routings.get(routings.size() - 1).production()).isEqualTo(V2);
            assertThat(routings)
                    .extracting(io.sentiflow.schemas.ModelRouting::controlOffset)
                    .isSorted();
        }
    }

    @Test
    void deploysOfVersionsWithAnUnlistedFileOrALinkedFileShouldBeRefused(@TempDir Path other)
            throws Exception {
        ModelRegistry own = new ModelRegistry(other.resolve("registry"));
        own.publish(TestModel.directory());
        Path v2 = own.publish(TestModel.version2()).directory();
        Path v3 = own.publish(TestModel.version3()).directory();
        Files.write(v2.resolve("textcnn-0001.params"), new byte[] {7});
        Path moved = other.resolve("v3-weights.params");
        Files.move(v3.resolve(ModelFiles.WEIGHTS_FILE), moved);
        Files.createSymbolicLink(v3.resolve(ModelFiles.WEIGHTS_FILE), moved);
        ModelCatalog ownCatalog = new ModelCatalog(null, V1, own.root().toString());
        try (var harness = ScoreBatchTest.harness(ownCatalog, null)) {
            harness.processElement2(command(ModelControl.Action.DEPLOY, V2, null));
            harness.processElement2(command(ModelControl.Action.CANARY, V3, 50));
            settle(harness);
            assertThat(deadLetters(harness))
                    .extracting(DeadLetter::reason)
                    .containsExactly(
                            DeadLetter.Reason.MODEL_REFUSED, DeadLetter.Reason.MODEL_REFUSED);
            assertThat(deadLetters(harness).get(0).message())
                    .contains("textcnn-0001.params, which its manifest does not list");
            assertThat(deadLetters(harness).get(1).message()).contains("symbolic link");
            send(harness, "unchanged-", 5);
            assertThat(versionsById(harness)).allSatisfy((id, v) -> assertThat(v).isEqualTo(V1));
        }
    }

    /** A deploy of {@code version} signed by {@code key} (null: unsigned), issued at {@code at}. */
    private StreamRecord<KafkaRecord> signedDeploy(
            String id, String version, Path key, long issuedAt, long recordTimestamp)
            throws Exception {
        return signed(id, ModelControl.Action.DEPLOY, version, key, issuedAt, recordTimestamp);
    }

    private StreamRecord<KafkaRecord> signed(
            String id,
            ModelControl.Action action,
            String version,
            Path key,
            long issuedAt,
            long recordTimestamp)
            throws Exception {
        ModelControl control = new ModelControl(id, action, version, null, "root", issuedAt);
        if (key != null) {
            var privateKey = Keys.readPrivate(key).key();
            control =
                    control.signed(
                            Keys.id(Keys.publicOf(key)),
                            content ->
                                    Base64.getEncoder()
                                            .encodeToString(Keys.sign(privateKey, content)));
        }
        return new StreamRecord<>(
                new KafkaRecord(
                        "model-control", 0, offset++, recordTimestamp, Json.toBytes(control)));
    }

    @Test
    void withTrustedKeysOnlySignedCommandsForSignedVersionsShouldApplyAndOnlyOnce(
            @TempDir Path keys, @TempDir Path other) throws Exception {
        Keys.generate(keys, "alice");
        Keys.generate(keys.resolve("untrusted"), "mallory");
        Path alice = keys.resolve("alice.key");
        Path mallory = keys.resolve("untrusted/mallory.key");
        TrustedKeys trusted = TrustedKeys.read(keys.resolve("alice.pub").toString());
        ModelRegistry signedRegistry = new ModelRegistry(other.resolve("registry"));
        signedRegistry.publish(TestModel.directory(), alice);
        signedRegistry.publish(TestModel.version2()); // unsigned, for now
        ModelCatalog strict = new ModelCatalog(null, V1, signedRegistry.root().toString(), trusted);
        ScoringSettings settings =
                ScoringSettings.of("cpu", ScoreBatchTest.MAX_SIZE, ScoreBatchTest.MAX_DELAY_MS)
                        .withCommandTrust(new CommandTrust(trusted, 60_000, null));
        OperatorSubtaskState state;
        try (var harness = ScoreBatchTest.harness(strict, null, settings)) {
            harness.processElement2(signedDeploy("unsigned", V2, null, 0, 0));
            harness.processElement2(signedDeploy("mallory", V2, mallory, 0, 0));
            // Alice signed a deploy of version 1; someone changed it to version 2.
            ModelControl forged =
                    Json.modelControl(signedDeploy("forged", V1, alice, 0, 0).getValue().value);
            forged =
                    new ModelControl(
                            forged.commandId(),
                            forged.action(),
                            V2,
                            null,
                            forged.issuedBy(),
                            forged.issuedAt(),
                            forged.keyId(),
                            forged.signature());
            harness.processElement2(raw(Json.toBytes(forged)));
            // Signed by Alice, but version 2 itself is not signed.
            harness.processElement2(signedDeploy("unsigned-model", V2, alice, 0, 0));
            settle(harness);
            signedRegistry.sign(V2, alice);
            // Signed, for a signed version, but it reached the topic two minutes after it was
            // issued.
            harness.processElement2(signedDeploy("late", V2, alice, 0, 120_000));
            settle(harness);
            assertThat(((ScoreBatch) harness.getOperator()).routing().production()).isEqualTo(V1);
            assertThat(deadLetters(harness))
                    .extracting(DeadLetter::reason)
                    .containsExactly(
                            DeadLetter.Reason.COMMAND_UNSIGNED,
                            DeadLetter.Reason.COMMAND_BAD_SIGNATURE,
                            DeadLetter.Reason.COMMAND_BAD_SIGNATURE,
                            DeadLetter.Reason.MODEL_REFUSED,
                            DeadLetter.Reason.COMMAND_EXPIRED);
            assertThat(deadLetters(harness).get(1).message()).contains("not trusted");
            assertThat(deadLetters(harness).get(2).message()).contains("does not verify");
            assertThat(deadLetters(harness).get(3).message()).contains("not signed");
            // What the sender typed as issuer is not recorded for a command that failed its check.
            assertThat(events(harness))
                    .filteredOn(e -> "mallory".equals(e.commandId))
                    .singleElement()
                    .satisfies(e -> assertThat(e.issuedBy).isEqualTo(CommandTrust.UNVERIFIED));

            // The refused, but validly signed, command sent again now that version 2 is signed:
            // judged once, it is not applied (whoever kept a copy cannot replay it).
            harness.processElement2(signedDeploy("unsigned-model", V2, alice, 0, 0));
            settle(harness);
            assertThat(deadLetters(harness).get(5).reason())
                    .isEqualTo(DeadLetter.Reason.COMMAND_DUPLICATE);
            assertThat(((ScoreBatch) harness.getOperator()).routing().production()).isEqualTo(V1);

            harness.processElement2(signedDeploy("ok", V2, alice, 1_000, 2_000));
            settle(harness);
            send(harness, "signed-", 5);
            assertThat(versionsWithPrefix(harness, "signed-"))
                    .allSatisfy((id, v) -> assertThat(v).isEqualTo(V2));
            // The issuer is the key that signed, not the name the sender typed.
            assertThat(events(harness))
                    .filteredOn(e -> e.type == ModelEvent.Type.ROUTED)
                    .singleElement()
                    .satisfies(
                            e -> {
                                assertThat(e.commandId).isEqualTo("ok");
                                assertThat(e.issuedBy).isEqualTo("alice");
                            });
            harness.prepareSnapshotPreBarrier(5);
            state = harness.snapshot(5, 5);
        }
        try (var restored = ScoreBatchTest.harness(strict, state, settings)) {
            // A rollback, then the old deploy sent again: applied once only, even after a restore.
            restored.processElement2(
                    signed("back", ModelControl.Action.ROLLBACK, null, alice, 3_000, 3_000));
            restored.processElement2(signedDeploy("ok", V2, alice, 1_000, 2_000));
            settle(restored);
            assertThat(deadLetters(restored))
                    .extracting(DeadLetter::reason)
                    .containsExactly(DeadLetter.Reason.COMMAND_DUPLICATE);
            assertThat(((ScoreBatch) restored.getOperator()).routing().production()).isEqualTo(V1);
        }
        // A production version that is not signed does not start.
        ModelCatalog unsignedStart =
                new ModelCatalog(TestModel.directory().toString(), null, null, trusted);
        assertThatThrownBy(() -> ScoreBatchTest.harness(unsignedStart, null, settings))
                .hasStackTraceContaining("not signed");
    }
}
