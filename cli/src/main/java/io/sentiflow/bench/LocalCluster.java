package io.sentiflow.bench;

import java.net.URI;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
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

    /** A cluster with one TaskManager of {@code slots} slots; its REST port is chosen freely. */
    static LocalCluster start(int slots) throws Exception {
        Configuration configuration = new Configuration();
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
            cluster.close();
            throw e;
        }
    }

    /**
     * An environment that submits to this cluster. No jar travels: the cluster runs in this JVM and
     * finds the job's classes on its class path.
     */
    StreamExecutionEnvironment environment() {
        return StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(), rest.getPort());
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
