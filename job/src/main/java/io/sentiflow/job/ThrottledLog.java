package io.sentiflow.job;

/**
 * A log line for something that may happen once per record or batch (a refused command, a failing
 * shadow): the first occurrence is logged at once, then at most one per interval, saying how many
 * were left out since the last line, so that a flood writes a bounded log. Plain Java, used by one
 * thread.
 */
final class ThrottledLog {
    private final long intervalMs;
    private long lastLineAt;
    private boolean logged;
    private long leftOut;

    ThrottledLog(long intervalMs) {
        if (intervalMs < 0) {
            throw new IllegalArgumentException("an interval must be >= 0");
        }
        this.intervalMs = intervalMs;
    }

    /**
     * An occurrence at {@code now}: how many occurrences were left out since the last line when
     * this one is to be logged, or -1 when it is left out.
     */
    long occurred(long now) {
        if (logged && now - lastLineAt < intervalMs) {
            leftOut++;
            return -1;
        }
        long before = leftOut;
        logged = true;
        lastLineAt = now;
        leftOut = 0;
        return before;
    }

    /** Milliseconds of a monotonic clock (the wall clock may step back). */
    static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    /** " (and N more since the last such line)", or nothing when none was left out. */
    static String andMore(long leftOut) {
        return leftOut > 0 ? " (and " + leftOut + " more since the last such line)" : "";
    }
}
