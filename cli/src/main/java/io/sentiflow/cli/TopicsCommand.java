package io.sentiflow.cli;

import io.sentiflow.job.JobConfig;
import io.sentiflow.job.KafkaAcls;
import io.sentiflow.job.Topics;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code sentiflow topics}: the job's topics, created or described from the one list the job, the
 * start-up check, compose and Kubernetes share ({@link Topics}).
 */
@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        description = {
            "Create or describe the job's Kafka topics: names from the job's own settings",
            "(--bootstrap.servers, --config job.properties, --topic.reviews ...), partitions,",
            "retention, compaction and record sizes from the list the job checks at start."
        },
        subcommands = {
            TopicsCommand.Create.class,
            TopicsCommand.Describe.class,
            TopicsCommand.Acls.class
        })
public final class TopicsCommand implements Runnable {
    private static final long TIMEOUT_SECONDS = 30;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static Admin admin(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(props);
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description =
                    "Create the job's topics that do not exist yet; existing ones are left as they"
                            + " are and reported.")
    static final class Create implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Option(
                names = "--partitions",
                defaultValue = "2",
                description =
                        "Partitions of the data topics: at least the job's parallelism (default:"
                                + " ${DEFAULT-VALUE}); health and control get one.")
        int partitions;

        @Option(
                names = "--replication-factor",
                defaultValue = "1",
                description = "Replicas of each partition (default: ${DEFAULT-VALUE}).")
        short replicationFactor;

        @Unmatched List<String> jobArgs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JobConfig config = JobConfig.fromArgs(jobArgs.toArray(String[]::new));
            create(config, partitions, replicationFactor, spec.commandLine().getOut());
            return 0;
        }
    }

    /** Creates the job's topics that do not exist yet, reporting each to {@code out}. */
    static void create(JobConfig config, int partitions, short replicationFactor, PrintWriter out)
            throws Exception {
        try (Admin admin = admin(config)) {
            for (Topics.Spec topic : Topics.of(config, partitions)) {
                NewTopic request =
                        new NewTopic(topic.name(), topic.partitions(), replicationFactor)
                                .configs(topic.settings());
                try {
                    admin.createTopics(List.of(request))
                            .all()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    out.println(
                            "created "
                                    + topic.name()
                                    + " ("
                                    + topic.partitions()
                                    + " partitions, "
                                    + topic.settings()
                                    + ")");
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(
                                "cannot create " + topic.name() + ": " + e.getCause(),
                                e.getCause());
                    }
                    out.println("exists  " + topic.name() + " (left as it is)");
                }
            }
        }
        out.flush();
    }

    @Command(
            name = "acls",
            mixinStandardHelpOptions = true,
            description = {
                "The least ACLs a principal needs for its role, from the job's own topic names,",
                "group and transactional id prefix: printed as kafka-acls.sh commands, or applied.",
                "Roles: job (reads reviews, labels, commands; writes the four outputs, model-routing",
                "and, unless --control.decisions false, its canary decisions to model-control),",
                "producer (writes reviews and labels), dashboard (reads the outputs), operator",
                "(writes model-control)."
            })
    static final class Acls implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Option(
                names = "--role",
                required = true,
                description = "job, producer, dashboard or operator.")
        KafkaAcls.Role role;

        @Option(
                names = "--principal",
                required = true,
                description = "Whom they are for, e.g. User:sentiflow.")
        String principal;

        @Option(
                names = "--apply",
                description =
                        "Create them with the Kafka admin API (as the --config credentials, which"
                                + " need ALTER on the cluster) instead of printing them.")
        boolean apply;

        @Unmatched List<String> jobArgs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JobConfig config = JobConfig.fromArgs(jobArgs.toArray(String[]::new));
            var acls = KafkaAcls.of(config, role, principal);
            var out = spec.commandLine().getOut();
            if (!apply) {
                out.print(KafkaAcls.script(acls, config.bootstrapServers()));
                out.flush();
                return 0;
            }
            try (Admin admin = admin(config)) {
                admin.createAcls(acls).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            out.println("created " + acls.size() + " ACLs for " + principal + " as " + role);
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description =
                    "Show each of the job's topics: whether it exists, its partitions and the"
                            + " settings the job relies on; exit 1 when one is missing.")
    static final class Describe implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Unmatched List<String> jobArgs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JobConfig config = JobConfig.fromArgs(jobArgs.toArray(String[]::new));
            var out = spec.commandLine().getOut();
            int missing = 0;
            try (Admin admin = admin(config)) {
                var names = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                for (Topics.Spec topic : Topics.of(config, 1)) {
                    if (!names.contains(topic.name())) {
                        missing++;
                        out.println(topic.name() + "\tMISSING\t(" + topic.key() + ")");
                        continue;
                    }
                    TopicDescription description =
                            admin.describeTopics(List.of(topic.name()))
                                    .allTopicNames()
                                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                                    .get(topic.name());
                    ConfigResource resource =
                            new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
                    Config actual =
                            admin.describeConfigs(List.of(resource))
                                    .all()
                                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                                    .get(resource);
                    StringBuilder line =
                            new StringBuilder(topic.name())
                                    .append("\t")
                                    .append(description.partitions().size())
                                    .append(" partitions");
                    for (Map.Entry<String, String> wanted : topic.settings().entrySet()) {
                        var entry = actual.get(wanted.getKey());
                        String value = entry == null ? "?" : entry.value();
                        line.append("\t").append(wanted.getKey()).append("=").append(value);
                        if (!wanted.getValue().equals(value)) {
                            line.append(" (suggested ").append(wanted.getValue()).append(")");
                        }
                    }
                    out.println(line);
                }
            }
            out.flush();
            return missing == 0 ? 0 : 1;
        }
    }
}
