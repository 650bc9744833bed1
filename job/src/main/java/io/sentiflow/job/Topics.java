package io.sentiflow.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's topics in one place: their names (from the configuration), partitions and settings.
 * {@code sentiflow topics create}, the start-up check, docker compose and the Kubernetes manifests
 * all follow this list.
 */
public final class Topics {
    private static final long DAYS_7 = 7L * 86_400_000L;
    private static final long DAYS_30 = 30L * 86_400_000L;

    /**
     * One topic.
     *
     * @param key the configuration key that names it
     * @param name its name
     * @param partitions how many partitions {@code topics create} gives it
     * @param settings topic-level settings (retention, compaction, timestamps, record size)
     * @param output whether the job writes it (its records must fit the topic's size limit)
     */
    public record Spec(
            String key, String name, int partitions, Map<String, String> settings, boolean output) {
        public Spec {
            settings = Map.copyOf(settings);
        }
    }

    private Topics() {}

    /**
     * The job's topics, data topics with {@code partitions} partitions each (at least the job's
     * parallelism for reviews, so every scoring subtask gets work).
     */
    public static List<Spec> of(JobConfig config, int partitions) {
        String maxBytes = String.valueOf(config.outputMaxRecordBytes() + 1024);
        return List.of(
                // The broker's append time, not the producer's clock, is what latency starts from.
                new Spec(
                        JobConfig.TOPIC_REVIEWS,
                        config.reviewsTopic(),
                        partitions,
                        settings(DAYS_7, "message.timestamp.type", "LogAppendTime"),
                        false),
                new Spec(
                        JobConfig.TOPIC_SENTIMENTS,
                        config.sentimentsTopic(),
                        partitions,
                        settings(DAYS_7, "max.message.bytes", maxBytes),
                        true),
                new Spec(
                        JobConfig.TOPIC_DEAD_LETTERS,
                        config.deadLettersTopic(),
                        partitions,
                        settings(DAYS_30, "max.message.bytes", maxBytes),
                        true),
                new Spec(
                        JobConfig.TOPIC_HEALTH,
                        config.healthTopic(),
                        1,
                        settings(DAYS_7, "max.message.bytes", maxBytes),
                        true),
                new Spec(
                        JobConfig.TOPIC_LABELS,
                        config.labelsTopic(),
                        partitions,
                        settings(DAYS_7),
                        false),
                new Spec(
                        JobConfig.TOPIC_SAMPLES,
                        config.samplesTopic(),
                        partitions,
                        settings(DAYS_30, "max.message.bytes", maxBytes),
                        true),
                // The command log: one partition keeps commands in order; never deleted. The
                // broker's append time is what a command's age (control.max-age-ms) is judged by.
                new Spec(
                        JobConfig.TOPIC_CONTROL,
                        config.controlTopic(),
                        1,
                        settings(
                                -1,
                                "cleanup.policy",
                                "delete",
                                "message.timestamp.type",
                                "LogAppendTime"),
                        false),
                // The routing the job applied, one record per command judged, key "routing":
                // compaction keeps the last one, which a fresh start restores.
                new Spec(
                        JobConfig.TOPIC_ROUTING,
                        config.routingTopic(),
                        1,
                        settings(-1, "cleanup.policy", "compact"),
                        true));
    }

    private static Map<String, String> settings(long retentionMs, String... pairs) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("retention.ms", String.valueOf(retentionMs));
        for (int i = 0; i < pairs.length; i += 2) {
            settings.put(pairs[i], pairs[i + 1]);
        }
        return settings;
    }
}
