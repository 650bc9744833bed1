package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import java.io.Serializable;

/**
 * How {@link ScoreBatch} scores, in one group per part that reads it: the batches ({@link
 * BatchDispatcher}), the device, what a score becomes ({@link ScoredOutput}), the health window,
 * and the control commands ({@link Router}).
 */
public record ScoringSettings(
        Batching batching,
        Placement placement,
        Results results,
        HealthWindow health,
        Control control)
        implements Serializable {

    /**
     * How reviews are batched.
     *
     * @param maxSize most reviews per batch
     * @param maxDelayMs 0: adaptive batching; else a queue leaves only when full or when its oldest
     *     review waited this long
     * @param loadDelayMs while the scorer is loaded ({@link ScorerLoad}), a queue leaves only when
     *     full or when its oldest review waited this long; 0 never waits
     * @param maxPending most reviews waiting to be scored; more block the input
     * @param sortWindow under a backlog, the most batches of one queue sorted together by length; 0
     *     or 1 sorts none
     */
    public record Batching(
            int maxSize, long maxDelayMs, long loadDelayMs, int maxPending, int sortWindow)
            implements Serializable {
        public Batching {
            if (maxSize < 1) {
                throw new IllegalArgumentException("batch.max-size must be positive");
            }
            if (maxPending < maxSize) {
                throw new IllegalArgumentException(
                        "batch.max-pending must be at least batch.max-size");
            }
            if (maxDelayMs < 0) {
                throw new IllegalArgumentException("batch.max-delay-ms must be >= 0");
            }
            if (loadDelayMs < 0) {
                throw new IllegalArgumentException("batch.load-delay-ms must be >= 0");
            }
            if (sortWindow < 0) {
                throw new IllegalArgumentException("batch.sort-window must be >= 0");
            }
        }

        static Batching of(JobConfig config) {
            return new Batching(
                    config.batchMaxSize(),
                    config.batchMaxDelayMs(),
                    config.batchLoadDelayMs(),
                    config.batchMaxPending(),
                    config.batchSortWindow());
        }
    }

    /**
     * Where the models run.
     *
     * @param device {@code auto}, {@code cpu} or {@code gpu}
     * @param cpuThreads intra-op threads of the PyTorch engine on the CPU; 0 keeps DJL's default.
     *     libtorch reads it once per JVM, when the engine starts, so the first model on a
     *     TaskManager decides.
     */
    public record Placement(String device, int cpuThreads) implements Serializable {}

    /**
     * What a score, a failure or a sample becomes.
     *
     * @param sampleBand reviews whose score is within this of 0.5 also go to {@link
     *     ScoreBatch#SAMPLES}; 0 samples none
     * @param maxRecordBytes the largest record a sink may write: larger samples are not sent
     * @param deadLetters how rejected reviews and commands are written
     * @param labelJoin which predictions wait for a label
     */
    public record Results(
            double sampleBand, int maxRecordBytes, DeadLetters deadLetters, LabelJoin labelJoin)
            implements Serializable {}

    /**
     * This subtask's health window.
     *
     * @param windowMs the window's length
     * @param driftThreshold a window's PSI above this sends its sample to {@link
     *     ScoreBatch#SAMPLES}
     * @param driftSamples the most reviews sampled per version per window; 0 samples none
     */
    public record HealthWindow(long windowMs, double driftThreshold, int driftSamples)
            implements Serializable {}

    /**
     * Control commands and the models they load.
     *
     * @param maxLoaded most model versions resident per subtask
     * @param maxBytes control records larger than this are refused unread
     * @param maxPending the most commands waiting to apply; more are refused
     * @param trust who may send commands
     */
    public record Control(int maxLoaded, int maxBytes, int maxPending, CommandTrust trust)
            implements Serializable {
        public Control {
            if (maxLoaded < 3) {
                throw new IllegalArgumentException(
                        "model.max-loaded must be at least 3 (production, canary and shadow),"
                                + " got "
                                + maxLoaded);
            }
        }
    }

    public static ScoringSettings of(JobConfig config) {
        return new ScoringSettings(
                Batching.of(config),
                new Placement(config.device(), config.deviceThreads()),
                new Results(
                        config.samplesBand(),
                        config.outputMaxRecordBytes(),
                        DeadLetters.of(config),
                        LabelJoin.of(config)),
                new HealthWindow(
                        config.healthWindowMs(),
                        config.healthDriftThreshold(),
                        config.samplesDriftMax()),
                new Control(
                        config.modelMaxLoaded(),
                        config.controlMaxBytes(),
                        config.controlMaxPending(),
                        CommandTrust.of(config)));
    }

    /**
     * Defaults for everything but the device and the batch bounds, and no load delay (the operator
     * harness's processing time stands still, so a load delay would wait for a timer that never
     * fires); for tests.
     */
    public static ScoringSettings of(String device, int maxSize, long maxDelayMs) {
        return new ScoringSettings(
                new Batching(
                        maxSize,
                        maxDelayMs,
                        0,
                        Math.max(256, maxSize),
                        Batcher.DEFAULT_WINDOW_BATCHES),
                new Placement(device, 0),
                new Results(
                        0,
                        1024 * 1024,
                        new DeadLetters(DeadLetter.DEFAULT_MAX_VALUE_BYTES),
                        new LabelJoin(0)),
                new HealthWindow(10_000, 0.2, 0),
                new Control(3, 16 * 1024, 100, CommandTrust.OPEN));
    }

    /** The same settings with other batching; for tests. */
    ScoringSettings with(Batching other) {
        return new ScoringSettings(other, placement, results, health, control);
    }

    /** The same settings with another command trust; for tests. */
    ScoringSettings withCommandTrust(CommandTrust trust) {
        return new ScoringSettings(
                batching,
                placement,
                results,
                health,
                new Control(control.maxLoaded(), control.maxBytes(), control.maxPending(), trust));
    }
}
