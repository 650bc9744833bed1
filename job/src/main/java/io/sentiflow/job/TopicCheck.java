package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Checks, before the job starts, that every topic it reads or writes exists and that the topics it
 * writes take its largest record ({@code output.max-record-bytes}). Without it a missing topic
 * shows up as a restart loop of {@code UnknownTopicOrPartitionException} inside the running job.
 */
public final class TopicCheck {
    private static final long TIMEOUT_SECONDS = 30;

    private TopicCheck() {}

    /**
     * @throws IllegalStateException naming every missing or too-small topic and how to fix it
     */
    public static void requireTopics(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        List<Topics.Spec> topics = Topics.of(config, 1);
        try (Admin admin = Admin.create(props)) {
            Set<String> existing =
                    admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<String> missing = new ArrayList<>();
            for (Topics.Spec topic : topics) {
                if (!existing.contains(topic.name())) {
                    missing.add(topic.name() + " (" + topic.key() + ")");
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException(
                        "the job's Kafka topics are missing on "
                                + config.bootstrapServers()
                                + ": "
                                + String.join(", ", missing)
                                + ". Create them with `sentiflow topics create` and the job's own"
                                + " settings (e.g. --bootstrap.servers "
                                + config.bootstrapServers()
                                + " --config job.properties), or with your tooling as the README's"
                                + " topic table says (partitions, retention, compaction).");
            }
            checkRecordSizes(admin, config, topics);
            if (config.controlMaxAgeMs() > 0) {
                checkControlTimestamps(admin, config);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot check the job's topics on "
                            + config.bootstrapServers()
                            + " within "
                            + TIMEOUT_SECONDS
                            + " s: "
                            + (e.getCause() != null ? e.getCause() : e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the job's topics", e);
        }
    }

    /**
     * A command's age is its record's timestamp minus its issuedAt: only the broker's append time
     * makes that something a writer cannot choose, and a replay judge it as the first reading did.
     */
    private static void checkControlTimestamps(Admin admin, JobConfig config)
            throws ExecutionException, InterruptedException, TimeoutException {
        ConfigResource control =
                new ConfigResource(ConfigResource.Type.TOPIC, config.controlTopic());
        Config described =
                admin.describeConfigs(List.of(control))
                        .all()
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .get(control);
        var entry = described == null ? null : described.get("message.timestamp.type");
        String type = entry == null ? null : entry.value();
        if (!"LogAppendTime".equals(type)) {
            throw new IllegalStateException(
                    JobConfig.CONTROL_MAX_AGE_MS
                            + " judges a command by its record's timestamp, but "
                            + config.controlTopic()
                            + " has message.timestamp.type "
                            + type
                            + ": set it to LogAppendTime (kafka-configs.sh --alter --entity-type"
                            + " topics --entity-name "
                            + config.controlTopic()
                            + " --add-config message.timestamp.type=LogAppendTime), as"
                            + " `sentiflow topics create` does for new topics");
        }
    }

    private static void checkRecordSizes(Admin admin, JobConfig config, List<Topics.Spec> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        List<ConfigResource> outputs =
                topics.stream()
                        .filter(Topics.Spec::output)
                        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name()))
                        .toList();
        Map<ConfigResource, Config> described =
                admin.describeConfigs(outputs).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<String> tooSmall = new ArrayList<>();
        described.forEach(
                (resource, topicConfig) -> {
                    var entry = topicConfig.get("max.message.bytes");
                    if (entry != null
                            && entry.value() != null
                            && Long.parseLong(entry.value()) < config.outputMaxRecordBytes()) {
                        tooSmall.add(
                                resource.name() + " (max.message.bytes " + entry.value() + ")");
                    }
                });
        if (!tooSmall.isEmpty()) {
            throw new IllegalStateException(
                    "these topics refuse records as large as output.max-record-bytes "
                            + config.outputMaxRecordBytes()
                            + ": "
                            + tooSmall.stream().collect(Collectors.joining(", "))
                            + ". Raise their max.message.bytes, or lower output.max-record-bytes"
                            + " (and dead-letters.max-value-bytes with it).");
        }
    }
}
