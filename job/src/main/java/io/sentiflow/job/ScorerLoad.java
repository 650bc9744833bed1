package io.sentiflow.job;

/**
 * Whether a scorer is loaded: the share of the last second or so that it spent scoring, with
 * hysteresis — loaded from above {@link #ON}, no longer loaded below {@link #OFF}. Plain Java, used
 * by one thread.
 *
 * <p>Under load a batch of one or two reviews costs the model much more per review than a batch of
 * five (each call pays its convolutions' set-up), so a loaded scorer that always takes what is
 * waiting keeps itself loaded: its CPU goes to small calls. {@link ScoreBatch} then lets a queue
 * wait up to {@code batch.load-delay-ms} ({@link JobConfig#DEFAULT_LOAD_DELAY_MS} by default) for
 * company; at light load it does not.
 */
final class ScorerLoad {
    /** Loaded from this share of time spent scoring. */
    static final double ON = 0.5;

    /** No longer loaded below this share. */
    static final double OFF = 0.25;

    /** The span each share is taken over. */
    static final long WINDOW_NANOS = 1_000_000_000L;

    private long windowStart;
    private long busyNanos;
    private boolean loaded;

    /**
     * @param start when the scorer started ({@link System#nanoTime}): the first window runs from
     *     there, so one slow first batch (a cold engine) does not make the scorer loaded at once
     */
    ScorerLoad(long start) {
        this.windowStart = start;
    }

    /**
     * Records a batch that kept the scorer busy {@code busy} nanoseconds and ended at {@code now}
     * (both from {@link System#nanoTime}); returns whether the scorer is loaded.
     */
    boolean record(long busy, long now) {
        busyNanos += busy;
        long span = now - windowStart;
        if (span >= WINDOW_NANOS) {
            double share = busyNanos / (double) span;
            loaded = loaded ? share >= OFF : share > ON;
            windowStart = now;
            busyNanos = 0;
        }
        return loaded;
    }

    boolean loaded() {
        return loaded;
    }
}
