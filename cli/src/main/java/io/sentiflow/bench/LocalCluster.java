package io.sentiflow.bench;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One Flink mini cluster in this JVM for every run of a benchmark, as jobs meet a session cluster
 * that has been up for a while: a cluster per run would load Flink's RPC system into a new class
 * loader each time, and the JIT would compile it again and the collector unload it, in the middle
 * of the runs being measured.
 */
final class LocalCluster implements AutoCloseable {
    private final MiniCluster cluster;
    private final URI rest;

    private LocalCluster(MiniCluster cluster, URI rest) {
        this.cluster = cluster;
        this.rest = rest;
    }

    /** A cluster with one TaskManager of {@code slots} slots, its REST port free on localhost. */
    static LocalCluster start(int slots) throws Exception {
        Configuration configuration = new Configuration();
        configuration.set(RestOptions.BIND_ADDRESS, "localhost");
        configuration.set(RestOptions.BIND_PORT, "0");
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(configuration)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(slots)
                                .build());
        cluster.start();
        try {
            return new LocalCluster(cluster, cluster.getRestAddress().get());
        } catch (Exception e) {
            try {
                cluster.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * An environment that submits to this cluster at {@code parallelism}. No jar travels: the
     * cluster runs in this JVM and finds the job's classes on its class path.
     */
    StreamExecutionEnvironment environment(int parallelism) {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(), rest.getPort());
        env.setParallelism(parallelism);
        return env;
    }

    /**
     * Waits until job {@code id} has ended (a cancelled job's tasks have stopped and left their
     * slots), so nothing of it runs beside the next run.
     */
    void awaitEnd(JobID id, Duration timeout) throws Exception {
        cluster.requestJobResult(id).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The parallelism of job {@code id}'s one vertex that {@code operator} heads (its name starts
     * with it; operators chained after it follow in the name), once the job has ended.
     */
    int parallelismOf(JobID id, String operator) throws Exception {
        List<Integer> found = new ArrayList<>();
        for (AccessExecutionJobVertex vertex :
                cluster.getArchivedExecutionGraph(id).get().getAllVertices().values()) {
            if (vertex.getName().startsWith(operator)) {
                found.add(vertex.getParallelism());
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException(
                    "job " + id + " has " + found.size() + " vertices headed by " + operator);
        }
        return found.get(0);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
