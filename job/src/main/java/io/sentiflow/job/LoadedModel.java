package io.sentiflow.job;

import ai.djl.Device;
import ai.djl.translate.TranslateException;
import ai.djl.util.cuda.CudaUtils;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.VerifiedModel;
import io.sentiflow.model.Vocabulary;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One model version resident on this subtask's device: its scorer, and its encoder to turn a
 * review's text into that version's ids. Plain Java; the {@link Router} owns the instances, the
 * {@link Scorer} thread alone scores with them.
 */
final class LoadedModel implements AutoCloseable {
    private final String version;
    private final SentimentScorer scorer;
    private final long loadMillis;

    private static final long MEMORY_READ_EVERY_MS = 1000;

    /** The last device memory reading, and when it was taken. */
    private Long deviceMemoryBytes;

    private long deviceMemoryReadAt;

    private LoadedModel(String version, SentimentScorer scorer, long loadMillis) {
        this.version = version;
        this.scorer = scorer;
        this.loadMillis = loadMillis;
    }

    /**
     * Loads (checksums first) and warms up a model: one small batch is scored before the version
     * receives traffic, so its first real batch does not pay for the engine's lazy setup.
     */
    static LoadedModel load(String version, VerifiedModel files, Device device) throws IOException {
        long start = System.nanoTime();
        SentimentScorer scorer = SentimentScorer.load(files, device);
        try {
            if (!scorer.modelVersion().equals(version)) {
                throw new IOException(
                        files.directory() + " holds " + scorer.modelVersion() + ", not " + version);
            }
            scorer.score(List.of(new int[] {Vocabulary.UNK, Vocabulary.UNK}));
        } catch (IOException | TranslateException | RuntimeException e) {
            scorer.close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        return new LoadedModel(version, scorer, (System.nanoTime() - start) / 1_000_000);
    }

    /** The training reference score histogram from the manifest; null when it has none. */
    long[] referenceHistogram() {
        return scorer.manifest().referenceHistogram();
    }

    String version() {
        return version;
    }

    long loadMillis() {
        return loadMillis;
    }

    Device device() {
        return scorer.device();
    }

    /**
     * The review's ids for this model: its first {@code maxLength} tokens in its vocabulary, in one
     * pass over the text (no token strings).
     */
    int[] encode(String text) {
        return scorer.encoder().encode(text);
    }

    float[] score(List<int[]> batch) throws TranslateException {
        return scorer.score(batch);
    }

    /**
     * Memory in use on the device: on a GPU what CUDA reports used; on the CPU the resident memory
     * of this process (the TaskManager), from {@code /proc/self/status}. Null when unreadable. Read
     * at most once a second: batches come far more often.
     */
    Long deviceMemoryBytes() {
        long now = System.currentTimeMillis();
        if (now - deviceMemoryReadAt >= MEMORY_READ_EVERY_MS) {
            deviceMemoryBytes = readDeviceMemory();
            deviceMemoryReadAt = now;
        }
        return deviceMemoryBytes;
    }

    private Long readDeviceMemory() {
        Device device = scorer.device();
        try {
            if (device.isGpu()) {
                MemoryUsage usage = CudaUtils.getGpuMemory(device);
                return usage.getUsed();
            }
            Path status = Path.of("/proc/self/status");
            if (Files.isReadable(status)) {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        String kb = line.substring(6).trim().split("\\s+")[0];
                        return Long.parseLong(kb) * 1024;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    @Override
    public void close() {
        scorer.close();
    }
}
