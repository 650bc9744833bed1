package io.sentiflow.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * CPU time spent during a run, by what spends it: the job's task threads (its operators and the
 * Flink runtime work done on them), the scorer threads (the model), the Kafka clients, the broker,
 * the rest of Flink, and the benchmark itself. Everything runs in this JVM, so each thread's CPU
 * time is read every 100 ms (threads that end keep their last reading), and the totals by group are
 * kept with the time of each reading, so a run's steady state can be cut out of it.
 */
final class CpuMeter implements AutoCloseable {
    static final String[] GROUPS = {
        "job task threads",
        "scorer (model)",
        "Kafka clients",
        "broker",
        "Flink runtime",
        "other",
        "JVM (GC, JIT)",
        "process total"
    };

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final long processStart = os.getProcessCpuTime();

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> startNanos = new HashMap<>();
    private final Map<Long, Long> lastNanos = new HashMap<>();
    private final Map<Long, String> names = new HashMap<>();
    private final java.util.TreeMap<Long, Map<String, Double>> timeline = new java.util.TreeMap<>();
    private final ScheduledExecutorService sampler =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "bench-cpu-meter");
                        t.setDaemon(true);
                        return t;
                    });

    CpuMeter() {
        sample(true);
        sampler.scheduleAtFixedRate(() -> sample(false), 100, 100, TimeUnit.MILLISECONDS);
    }

    private synchronized void sample(boolean first) {
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu < 0) {
                continue;
            }
            names.putIfAbsent(info.getThreadId(), info.getThreadName());
            if (first) {
                startNanos.put(info.getThreadId(), cpu);
            } else {
                startNanos.putIfAbsent(info.getThreadId(), 0L);
            }
            lastNanos.put(info.getThreadId(), cpu);
        }
        timeline.put(System.currentTimeMillis(), totals());
    }

    static String group(String thread) {
        if (thread.startsWith("sentiflow-scorer")) {
            return GROUPS[1];
        }
        if (thread.startsWith("kafka-producer-network-thread")
                || thread.startsWith("Source Data Fetcher")
                || thread.startsWith("kafka-coordinator")
                || thread.startsWith("kafka-admin-client")) {
            return GROUPS[2];
        }
        if (thread.startsWith("data-plane-kafka")
                || thread.startsWith("kafka-")
                || thread.startsWith("broker-")
                || thread.startsWith("controller-")
                || thread.startsWith("quorum-controller")
                || thread.startsWith("group-coordinator")
                || thread.startsWith("transaction-coordinator")
                || thread.startsWith("ExpirationReaper")
                || thread.startsWith("raft-")
                || thread.startsWith("share-coordinator")
                || thread.contains("log-cleaner")
                || thread.startsWith("LogDirFailureHandler")) {
            return GROUPS[3];
        }
        if (thread.contains("(") && thread.contains("/") && thread.contains(")#")) {
            return GROUPS[0];
        }
        if (thread.startsWith("flink-")
                || thread.startsWith("Flink")
                || thread.startsWith("jobmanager")
                || thread.startsWith("AsyncOperations")
                || thread.startsWith("Checkpoint")
                || thread.startsWith("OutputFlusher")
                || thread.contains("pekko")
                || thread.startsWith("SourceCoordinator")
                || thread.startsWith("Timer")
                || thread.startsWith("mini-cluster")) {
            return GROUPS[4];
        }
        return GROUPS[5];
    }

    /** CPU milliseconds since this meter started, by group. */
    private Map<String, Double> totals() {
        Map<String, Double> groups = new LinkedHashMap<>();
        for (String group : GROUPS) {
            groups.put(group, 0.0);
        }
        for (Map.Entry<Long, Long> entry : lastNanos.entrySet()) {
            long spent = entry.getValue() - startNanos.getOrDefault(entry.getKey(), 0L);
            groups.merge(group(names.get(entry.getKey())), spent / 1e6, Double::sum);
        }
        // Every thread's CPU, native ones included; what no Java thread spent is the JVM's own.
        double process = (os.getProcessCpuTime() - processStart) / 1e6;
        double threads = groups.values().stream().mapToDouble(Double::doubleValue).sum();
        groups.put(GROUPS[6], Math.max(0, process - threads));
        groups.put(GROUPS[7], process);
        return groups;
    }

    /** CPU milliseconds spent between two moments (epoch ms), by group, from the readings. */
    synchronized Map<String, Double> millisBetween(long from, long to) {
        sample(false);
        var start = timeline.floorEntry(from);
        var end = timeline.floorEntry(to);
        Map<String, Double> spent = new LinkedHashMap<>();
        for (String group : GROUPS) {
            double before = start == null ? 0 : start.getValue().get(group);
            double after = end == null ? 0 : end.getValue().get(group);
            spent.put(group, after - before);
        }
        return spent;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
