package io.sentiflow.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one) inside this JVM, bound to
 * 127.0.0.1 on free ports, with its log in a temporary directory that {@link #close()} deletes. For
 * the local demo and the integration tests; never for production.
 */
public final class EmbeddedKafka implements KafkaBroker {
    private final Path logDirectory;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Properties adminClientProperties;

    private EmbeddedKafka(
            Path logDirectory,
            KafkaRaftServer server,
            String bootstrapServers,
            Properties adminClientProperties) {
        this.logDirectory = logDirectory;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.adminClientProperties = adminClientProperties;
    }

    /**
     * Starts a broker whose client listener requires SASL/PLAIN (over plaintext, for tests) and
     * authorizes with KRaft's StandardAuthorizer: only the given users can connect, and only {@code
     * superUsers} may do anything.
     *
     * @param users user name → password; the first entry is the broker's own (and the admin's)
     */
    public static EmbeddedKafka startWithSaslPlain(
            Map<String, String> users, List<String> superUsers) throws IOException {
        Map.Entry<String, String> admin = users.entrySet().iterator().next();
        StringBuilder jaas =
                new StringBuilder(
                                "org.apache.kafka.common.security.plain.PlainLoginModule required")
                        .append(" username=\"")
                        .append(admin.getKey())
                        .append("\" password=\"")
                        .append(admin.getValue())
                        .append('"');
        users.forEach(
                (user, password) ->
                        jaas.append(" user_")
                                .append(user)
                                .append("=\"")
                                .append(password)
                                .append('"'));
        jaas.append(';');
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        overrides.put(
                "listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        overrides.put("inter.broker.listener.name", "CLIENT");
        overrides.put("sasl.enabled.mechanisms", "PLAIN");
        overrides.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        overrides.put("listener.name.client.plain.sasl.jaas.config", jaas.toString());
        overrides.put(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        overrides.put("allow.everyone.if.no.acl.found", "false");
        // The controller listener is plaintext inside this JVM: its principal is ANONYMOUS.
        List<String> supers = new java.util.ArrayList<>(superUsers);
        supers.add(admin.getKey());
        supers.add("ANONYMOUS");
        overrides.put(
                "super.users", String.join(";", supers.stream().map(u -> "User:" + u).toList()));
        Properties client = saslClient(admin.getKey(), admin.getValue());
        return start(overrides, "CLIENT", client);
    }

    /** Client settings that log in to a SASL/PLAIN listener as {@code user}. */
    public static Properties saslClient(String user, String password) {
        Properties client = new Properties();
        client.put("security.protocol", "SASL_PLAINTEXT");
        client.put("sasl.mechanism", "PLAIN");
        client.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user
                        + "\" password=\""
                        + password
                        + "\";");
        return client;
    }

    /** Starts a broker with default settings. */
    public static EmbeddedKafka start() throws IOException {
        return start(Map.of());
    }

    /** Starts a broker; {@code overrides} are added to (or replace) its server properties. */
    public static EmbeddedKafka start(Map<String, String> overrides) throws IOException {
        return start(overrides, "PLAINTEXT", new Properties());
    }

    private static EmbeddedKafka start(
            Map<String, String> overrides, String listener, Properties adminClient)
            throws IOException {
        Path logDirectory = Files.createTempDirectory("sentiflow-kafka-");
        int brokerPort = freePort();
        int controllerPort = freePort();
        Properties props =
                serverProperties(
                        logDirectory.resolve("data"),
                        brokerPort,
                        controllerPort,
                        listener,
                        overrides);
        Path configFile = logDirectory.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(configFile)) {
            props.store(out, "sentiflow embedded broker");
        }
        ByteArrayOutputStream formatLog = new ByteArrayOutputStream();
        int formatted =
                StorageTool.execute(
                        new String[] {
                            "format",
                            "-t",
                            Uuid.randomUuid().toString(),
                            "-c",
                            configFile.toString()
                        },
                        new PrintStream(formatLog, true, StandardCharsets.UTF_8));
        if (formatted != 0) {
            deleteRecursively(logDirectory);
            throw new IOException(
                    "formatting the broker's log directory failed: "
                            + formatLog.toString(StandardCharsets.UTF_8));
        }
        KafkaRaftServer server =
                new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka =
                new EmbeddedKafka(logDirectory, server, "127.0.0.1:" + brokerPort, adminClient);
        kafka.awaitReady();
        return kafka;
    }

    /**
     * A single-node KRaft broker's settings: broker and controller in one, on 127.0.0.1, every
     * replication factor 1, no automatic topic creation; {@code overrides} added last.
     */
    static Properties serverProperties(
            Path dataDirectory,
            int brokerPort,
            int controllerPort,
            String listener,
            Map<String, String> overrides) {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put(
                "listeners",
                listener
                        + "://127.0.0.1:"
                        + brokerPort
                        + ",CONTROLLER://127.0.0.1:"
                        + controllerPort);
        props.put("advertised.listeners", listener + "://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("num.partitions", "2");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "2");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "2");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        props.putAll(overrides);
        props.put("log.dirs", dataDirectory.toString());
        return props;
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
            }
        }
        throw new IOException("embedded Kafka did not become ready within 60 s", last);
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public Admin admin() {
        Properties props = new Properties();
        props.putAll(adminClientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    @Override
    public void close() {
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            deleteRecursively(logDirectory);
        }
    }

    /** A free TCP port on the loopback address. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temporary directory
        }
    }
}
