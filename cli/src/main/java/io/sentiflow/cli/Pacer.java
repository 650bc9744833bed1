package io.sentiflow.cli;

import java.util.concurrent.locks.LockSupport;

/** Keeps a loop at a target rate by sleeping until the n-th event's due time. */
final class Pacer {
    private Pacer() {}

    static void await(long startNanos, long events, double perSecond) {
        if (perSecond <= 0) {
            return;
        }
        long due = startNanos + (long) (events * 1e9 / perSecond);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
