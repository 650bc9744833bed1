package io.sentiflow.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least Kafka ACLs each party of a deployment needs, from the job's own topic names, consumer
 * group and transactional id prefix: nobody but an operator and the job (its automatic canary
 * decisions, which with {@code control.trusted-keys} apply only when signed by the job's own key,
 * and that key signs nothing else) may write {@code model-control}; the job writes its outputs.
 */
public final class KafkaAcls {
    private KafkaAcls() {}

    /** Who the ACLs are for. */
    public enum Role {
        /**
         * The Flink job: reads reviews, labels and commands; writes its four outputs, the routing
         * topic and its automatic canary decisions.
         */
        JOB,
        /** Publishes reviews and true labels. */
        PRODUCER,
        /**
         * Reads what the job writes (dashboards, downstream services); the console also needs
         * {@link #PRODUCER} to classify typed reviews.
         */
        DASHBOARD,
        /** Sends routing commands. */
        OPERATOR
    }

    /**
     * @param principal e.g. {@code User:sentiflow}
     */
    public static List<AclBinding> of(JobConfig config, Role role, String principal) {
        if (principal == null || !principal.matches("[A-Za-z]+:.+")) {
            throw new IllegalArgumentException(
                    "a principal is written TYPE:NAME, e.g. User:sentiflow; got '"
                            + principal
                            + "'");
        }
        List<AclBinding> acls = new ArrayList<>();
        switch (role) {
            case JOB -> {
                for (String topic :
                        List.of(
                                config.reviewsTopic(),
                                config.labelsTopic(),
                                config.controlTopic())) {
                    topic(acls, principal, topic, AclOperation.READ, AclOperation.DESCRIBE);
                    topic(acls, principal, topic, AclOperation.DESCRIBE_CONFIGS);
                }
                for (String topic :
                        List.of(
                                config.sentimentsTopic(),
                                config.deadLettersTopic(),
                                config.healthTopic(),
                                config.samplesTopic())) {
                    topic(acls, principal, topic, AclOperation.WRITE, AclOperation.DESCRIBE);
                    topic(acls, principal, topic, AclOperation.DESCRIBE_CONFIGS);
                }
                // Automatic canary decisions go where a person's commands go.
                if (config.controlDecisions()) {
                    topic(acls, principal, config.controlTopic(), AclOperation.WRITE);
                }
                // The routing topic: written after every command, read back at a fresh start.
                topic(
                        acls,
                        principal,
                        config.routingTopic(),
                        AclOperation.READ,
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE,
                        AclOperation.DESCRIBE_CONFIGS);
                allow(
                        acls,
                        principal,
                        new ResourcePattern(
                                ResourceType.GROUP, config.groupId(), PatternType.PREFIXED),
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
                allow(
                        acls,
                        principal,
                        new ResourcePattern(
                                ResourceType.TRANSACTIONAL_ID,
                                config.transactionalIdPrefix(),
                                PatternType.PREFIXED),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE);
                cluster(acls, principal);
            }
            case PRODUCER -> {
                for (String topic : List.of(config.reviewsTopic(), config.labelsTopic())) {
                    topic(acls, principal, topic, AclOperation.WRITE, AclOperation.DESCRIBE);
                }
                cluster(acls, principal);
            }
            case DASHBOARD -> {
                for (String topic :
                        List.of(
                                config.sentimentsTopic(),
                                config.healthTopic(),
                                config.deadLettersTopic(),
                                config.samplesTopic())) {
                    topic(acls, principal, topic, AclOperation.READ, AclOperation.DESCRIBE);
                }
            }
            case OPERATOR -> {
                topic(
                        acls,
                        principal,
                        config.controlTopic(),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE);
                cluster(acls, principal);
            }
        }
        return acls;
    }

    private static void topic(
            List<AclBinding> acls, String principal, String topic, AclOperation... operations) {
        allow(
                acls,
                principal,
                new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                operations);
    }

    /** Idempotent producers (every Kafka client's default) ask for this on older brokers. */
    private static void cluster(List<AclBinding> acls, String principal) {
        allow(
                acls,
                principal,
                new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                AclOperation.IDEMPOTENT_WRITE);
    }

    private static void allow(
            List<AclBinding> acls,
            String principal,
            ResourcePattern resource,
            AclOperation... operations) {
        for (AclOperation operation : operations) {
            acls.add(
                    new AclBinding(
                            resource,
                            new AccessControlEntry(
                                    principal, "*", operation, AclPermissionType.ALLOW)));
        }
    }

    /** The same ACLs as {@code kafka-acls.sh} commands, one per line. */
    public static String script(List<AclBinding> acls, String bootstrapServers) {
        StringBuilder script = new StringBuilder();
        for (AclBinding acl : acls) {
            ResourcePattern resource = acl.pattern();
            script.append("kafka-acls.sh --bootstrap-server ")
                    .append(bootstrapServers)
                    .append(" --command-config admin.properties --add --allow-principal ")
                    .append(acl.entry().principal())
                    .append(" --operation ")
                    .append(camel(acl.entry().operation().name()));
            switch (resource.resourceType()) {
                case TOPIC -> script.append(" --topic ").append(resource.name());
                case GROUP -> script.append(" --group ").append(resource.name());
                case TRANSACTIONAL_ID ->
                        script.append(" --transactional-id ").append(resource.name());
                case CLUSTER -> script.append(" --cluster");
                default -> throw new IllegalStateException(resource.toString());
            }
            if (resource.patternType() == PatternType.PREFIXED) {
                script.append(" --resource-pattern-type prefixed");
            }
            script.append('\n');
        }
        return script.toString();
    }

    private static String camel(String operation) {
        StringBuilder out = new StringBuilder();
        for (String part : operation.toLowerCase(Locale.ROOT).split("_")) {
            out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return out.toString();
    }
}
