package io.sentiflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.Topics;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compose file and the Kubernetes manifests parse, and agree with the code: job arguments are
 * JobConfig keys, topics are the job's, Flink keys exist among Flink's options, images are pinned.
 */
class DeploymentFilesTest {
    private static final Path ROOT = Path.of("..");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Keys of plugins that are not on this classpath, named in their own documentation. */
    private static final Set<String> PLUGIN_KEYS =
            Set.of(
                    "metrics.reporter.prom.port", // flink-metrics-prometheus: PrometheusReporter's
                    // "port"
                    "external-resource.gpu.param.discovery-script.path", // flink-external-resource-gpu
                    "job.autoscaler.enabled", // flink-autoscaler (Kubernetes operator) from here
                    // down
                    "job.autoscaler.stabilization.interval",
                    "job.autoscaler.metrics.window",
                    "job.autoscaler.target.utilization",
                    "job.autoscaler.target.utilization.boundary",
                    "job.autoscaler.restart.time",
                    "job.autoscaler.catch-up.duration");

    private static Set<String> flinkKeys;

    @BeforeAll
    static void collectFlinkConfigurationKeys() throws Exception {
        flinkKeys = new HashSet<>();
        for (Class<?> anchor :
                List.of(
                        CoreOptions.class,
                        CheckpointingOptions.class,
                        org.apache.flink.runtime.executiongraph.JobInformation.class)) {
            try (JarFile jar =
                    new JarFile(
                            Path.of(
                                            anchor.getProtectionDomain()
                                                    .getCodeSource()
                                                    .getLocation()
                                                    .toURI())
                                    .toFile())) {
                for (var entries = jar.entries(); entries.hasMoreElements(); ) {
                    String name = entries.nextElement().getName();
                    if (name.startsWith("org/apache/flink/")
                            && name.endsWith("Options.class")
                            && !name.contains("$")) {
                        addKeys(name.replace('/', '.').replace(".class", ""));
                    }
                }
            }
        }
        // Per-resource and per-reporter keys are made from templates by these methods.
        flinkKeys.add(
                org.apache.flink.configuration.ExternalResourceOptions
                        .getAmountConfigOptionForResource("gpu"));
        flinkKeys.add(
                org.apache.flink.configuration.ExternalResourceOptions
                        .getSystemConfigKeyConfigOptionForResource("gpu", "kubernetes.config-key"));
        flinkKeys.add("external-resource.gpu.driver-factory.class");
        flinkKeys.add("metrics.reporter.prom.factory.class");
        assertThat(flinkKeys)
                .contains("taskmanager.numberOfTaskSlots", "execution.checkpointing.interval");
    }

    private static void addKeys(String className) {
        try {
            for (Field field : Class.forName(className).getFields()) {
                if (Modifier.isStatic(field.getModifiers())
                        && ConfigOption.class.isAssignableFrom(field.getType())) {
                    ConfigOption<?> option = (ConfigOption<?>) field.get(null);
                    flinkKeys.add(option.key());
                    for (FallbackKey fallback : option.fallbackKeys()) {
                        flinkKeys.add(fallback.getKey());
                    }
                }
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            // a class that cannot load here holds no option this project sets
        }
    }

    private static JsonNode yaml(String file) throws IOException {
        return YAML.readTree(ROOT.resolve(file).toFile());
    }

    private static List<JsonNode> yamlDocuments(String file) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(ROOT.resolve(file).toFile())) {
            for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                documents.add(it.next());
            }
        }
        return documents;
    }

    /** {@code --key value} pairs after the jar, checked against JobConfig. */
    private static Map<String, String> jobArguments(List<String> args) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).startsWith("--")) {
                pairs.put(args.get(i).substring(2), args.get(i + 1));
                i++;
            }
        }
        for (String key : pairs.keySet()) {
            assertThat(
                            key.equals("config")
                                    || JobConfig.knownKeys().contains(key)
                                    || key.startsWith("kafka."))
                    .as("--%s is a JobConfig key", key)
                    .isTrue();
        }
        return pairs;
    }

    private static Set<String> jobTopics(Map<String, String> args) throws IOException {
        JobConfig defaults = JobConfig.fromArgs();
        return Set.of(
                args.getOrDefault(JobConfig.TOPIC_REVIEWS, defaults.reviewsTopic()),
                args.getOrDefault(JobConfig.TOPIC_SENTIMENTS, defaults.sentimentsTopic()),
                args.getOrDefault(JobConfig.TOPIC_DEAD_LETTERS, defaults.deadLettersTopic()),
                args.getOrDefault(JobConfig.TOPIC_HEALTH, defaults.healthTopic()),
                args.getOrDefault(JobConfig.TOPIC_LABELS, defaults.labelsTopic()),
                args.getOrDefault(JobConfig.TOPIC_SAMPLES, defaults.samplesTopic()),
                args.getOrDefault(JobConfig.TOPIC_CONTROL, defaults.controlTopic()),
                args.getOrDefault(JobConfig.TOPIC_ROUTING, defaults.routingTopic()));
    }

    private static void assertFlinkKeys(Iterable<String> keys, String where) {
        for (String key : keys) {
            assertThat(flinkKeys.contains(key) || PLUGIN_KEYS.contains(key))
                    .as("%s sets Flink option '%s'", where, key)
                    .isTrue();
        }
    }

    private static List<String> propertyKeys(String properties) {
        List<String> keys = new ArrayList<>();
        for (String line : properties.split("\n")) {
            if (!line.isBlank() && !line.strip().startsWith("#")) {
                keys.add(line.substring(0, line.indexOf(':')).strip());
            }
        }
        return keys;
    }

    @Test
    void composeShouldPublishNothingBeyondThisMachineAndHaveNoDefaultPassword() throws IOException {
        JsonNode services = yaml("docker-compose.yml").path("services");
        int published = 0;
        for (var it = services.fields(); it.hasNext(); ) {
            var service = it.next();
            for (JsonNode port : service.getValue().path("ports")) {
                published++;
                assertThat(port.asText())
                        .as("a port of compose service %s", service.getKey())
                        .startsWith("127.0.0.1:");
            }
        }
        assertThat(published).as("ports published").isGreaterThanOrEqualTo(4);
        // Flink's REST API takes jars, which run code: only the override publishes it.
        assertThat(services.path("jobmanager").path("ports").isMissingNode()).isTrue();
        assertThat(
                        yaml("docker-compose.flink-ui.yml")
                                .path("services")
                                .path("jobmanager")
                                .path("ports")
                                .get(0)
                                .asText())
                .isEqualTo("127.0.0.1:8081:8081");
        assertThat(
                        services.path("grafana")
                                .path("environment")
                                .path("GF_SECURITY_ADMIN_PASSWORD")
                                .asText())
                .as("no default password: compose stops when .env does not set one")
                .startsWith("${GRAFANA_ADMIN_PASSWORD:?");
        List<String> console = new ArrayList<>();
        services.path("console").path("command").forEach(n -> console.add(n.asText()));
        assertThat(console).containsSequence("--bind", "0.0.0.0");
    }

    @Test
    void composeShouldSubmitTheJobWithRealKeysOnTheTopicsItCreates() throws IOException {
        JsonNode services = yaml("docker-compose.yml").path("services");
        assertThat(services.fieldNames())
                .toIterable()
                .contains(
                        "kafka",
                        "create-topics",
                        "jobmanager",
                        "taskmanager",
                        "taskmanager-gpu",
                        "client",
                        "producer",
                        "prometheus",
                        "grafana");
        List<String> command = new ArrayList<>();
        services.path("client").path("command").forEach(n -> command.add(n.asText()));
        assertThat(command).startsWith("flink", "run", "-d");
        Map<String, String> args =
                jobArguments(
                        command.subList(
                                command.indexOf("/opt/flink/usrlib/sentiflow-job.jar") + 1,
                                command.size()));
        // The topics come from `sentiflow topics create`, the list the job checks at start.
        List<String> creator = new ArrayList<>();
        services.path("create-topics").path("command").forEach(n -> creator.add(n.asText()));
        assertThat(creator).startsWith("topics", "create");
        assertThat(services.path("create-topics").path("image").asText())
                .isEqualTo(services.path("producer").path("image").asText());
        List<String> creatorArgs = new ArrayList<>(creator.subList(2, creator.size()));
        int partitions = creatorArgs.indexOf("--partitions");
        creatorArgs.subList(partitions, partitions + 2).clear();
        Set<String> topics = new HashSet<>();
        JobConfig creatorConfig = JobConfig.fromArgs(creatorArgs.toArray(String[]::new));
        Topics.of(creatorConfig, 2).forEach(t -> topics.add(t.name()));
        assertThat(topics).containsExactlyInAnyOrderElementsOf(jobTopics(args));
        assertThat(creatorConfig.bootstrapServers())
                .isEqualTo(args.get(JobConfig.BOOTSTRAP_SERVERS));

        List<String> producer = new ArrayList<>();
        services.path("producer").path("command").forEach(n -> producer.add(n.asText()));
        assertThat(producer.get(producer.indexOf("--topic") + 1))
                .isEqualTo(args.get(JobConfig.TOPIC_REVIEWS));
        assertThat(Set.of("produce", "tail", "train")).contains(producer.get(0));
    }

    @Test
    void composeShouldSetOnlyRealFlinkOptionsAndPinEveryImage() throws IOException {
        JsonNode compose = yaml("docker-compose.yml");
        for (var it = compose.path("services").fields(); it.hasNext(); ) {
            var service = it.next();
            String image = service.getValue().path("image").asText();
            assertThat(image).as(service.getKey() + " has an image").isNotEmpty();
            String tag = image.substring(image.lastIndexOf(':') + 1);
            assertThat(image).as(service.getKey()).contains(":");
            assertThat(tag)
                    .as(service.getKey() + " image tag")
                    .isNotEqualTo("latest")
                    .matches(".*\\d.*");
            String properties =
                    service.getValue().path("environment").path("FLINK_PROPERTIES").asText();
            assertFlinkKeys(propertyKeys(properties), "compose service " + service.getKey());
        }
        assertThat(
                        compose.path("services")
                                .path("taskmanager-gpu")
                                .path("deploy")
                                .path("resources")
                                .path("reservations")
                                .path("devices")
                                .get(0)
                                .path("driver")
                                .asText())
                .isEqualTo("nvidia");
        for (String file : List.of("deploy/flink/sentiflow-flink.yaml", "deploy/flink/gpu.yaml")) {
            List<String> keys = new ArrayList<>();
            yaml(file).fieldNames().forEachRemaining(keys::add);
            assertFlinkKeys(keys, file);
        }
        String dockerfile = Files.readString(ROOT.resolve("deploy/Dockerfile"));
        // The CLI image (producer, console, model-init) does not run as root.
        String cliStage = dockerfile.substring(dockerfile.indexOf(" AS cli"));
        assertThat(cliStage).containsPattern("(?m)^USER [1-9][0-9]*$");
        for (String line : dockerfile.lines().filter(l -> l.startsWith("FROM ")).toList()) {
            String image = line.split("\\s+")[1];
            assertThat(image).as(line).matches("[^:]+:[^:]*\\d[^:]*");
        }
    }

    @Test
    void theFlinkDeploymentShouldUseRealKeysTopicsAndAPinnedImage() throws IOException {
        JsonNode deployment = yaml("deploy/k8s/flink-deployment.yaml");
        assertThat(deployment.path("kind").asText()).isEqualTo("FlinkDeployment");
        assertThat(deployment.path("spec").path("image").asText()).matches(".+:\\d+\\.\\d+\\.\\d+");
        List<String> keys = new ArrayList<>();
        deployment.path("spec").path("flinkConfiguration").fieldNames().forEachRemaining(keys::add);
        assertFlinkKeys(keys, "flink-deployment.yaml");
        assertThat(keys)
                .contains("job.autoscaler.enabled", "state.savepoints.dir", "external-resources");
        List<String> args = new ArrayList<>();
        deployment.path("spec").path("job").path("args").forEach(n -> args.add(n.asText()));
        Map<String, String> job = jobArguments(args);
        assertThat(deployment.path("spec").path("job").path("upgradeMode").asText())
                .isEqualTo("savepoint");
        assertThat(
                        deployment
                                .at(
                                        "/spec/taskManager/podTemplate/spec/containers/0/resources/limits")
                                .path("nvidia.com/gpu")
                                .asInt())
                .isEqualTo(1);

        Map<String, JsonNode> topics = new LinkedHashMap<>();
        for (JsonNode topic : yamlDocuments("deploy/k8s/topics.yaml")) {
            topics.put(topic.path("metadata").path("name").asText(), topic.path("spec"));
        }
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(jobTopics(job));
        // Each Strimzi topic carries the settings `sentiflow topics create` gives it.
        List<String> jobArgs = new ArrayList<>();
        job.forEach(
                (key, value) -> {
                    if (!key.equals("config")) {
                        jobArgs.addAll(List.of("--" + key, value));
                    }
                });
        for (Topics.Spec spec : Topics.of(JobConfig.fromArgs(jobArgs.toArray(String[]::new)), 24)) {
            JsonNode topic = topics.get(spec.name());
            spec.settings()
                    .forEach(
                            (key, value) ->
                                    assertThat(topic.path("config").path(key).asText())
                                            .as("%s %s", spec.name(), key)
                                            .isEqualTo(value));
            if (spec.partitions() == 1) {
                assertThat(topic.path("partitions").asInt()).as(spec.name()).isEqualTo(1);
            }
        }

        // Closed by default: no root, the Kafka secret on the JobManager too (it runs main() and
        // the source enumerator), signatures required, no secret among the arguments.
        JsonNode common = deployment.at("/spec/podTemplate/spec");
        assertThat(common.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(common.at("/containers/0/securityContext/allowPrivilegeEscalation").isBoolean())
                .isTrue();
        assertThat(common.at("/containers/0/securityContext/allowPrivilegeEscalation").asBoolean())
                .isFalse();
        List<String> mounts = new ArrayList<>();
        common.at("/containers/0/volumeMounts")
                .forEach(m -> mounts.add(m.path("mountPath").asText()));
        assertThat(mounts).contains("/opt/sentiflow/kafka", "/opt/sentiflow/trusted-keys");
        assertThat(job.get("config")).startsWith("/opt/sentiflow/kafka/");
        assertThat(job.get(JobConfig.REGISTRY_TRUSTED_KEYS))
                .isEqualTo("/opt/sentiflow/trusted-keys");
        assertThat(job.get(JobConfig.CONTROL_TRUSTED_KEYS))
                .isEqualTo("/opt/sentiflow/trusted-keys");
        assertThat(String.join(" ", args).toLowerCase(java.util.Locale.ROOT))
                .doesNotContain("password", "jaas", "secret");
        assertThat(yaml("deploy/k8s/trusted-keys.yaml").path("metadata").path("name").asText())
                .isEqualTo(common.findValue("configMap").path("name").asText());

        JsonNode secret = yaml("deploy/k8s/kafka-secret.yaml");
        String properties = secret.path("stringData").path("job.properties").asText();
        java.util.Properties parsed = new java.util.Properties();
        parsed.load(new java.io.StringReader(properties));
        for (String key : parsed.stringPropertyNames()) {
            assertThat(JobConfig.knownKeys().contains(key) || key.startsWith("kafka."))
                    .as(key)
                    .isTrue();
        }
    }

    @Test
    void theGrafanaDashboardShouldOnlyQueryMetricsTheJobRegisters()
            throws IOException, URISyntaxException {
        JsonNode dashboard =
                YAML.readTree(ROOT.resolve("deploy/grafana/dashboards/sentiflow.json").toFile());
        Set<String> registered =
                Set.of(
                        "reviewsIn",
                        "reviewsScored",
                        "inferenceMillis",
                        "batchSize",
                        "batchWaitMillis",
                        "reason_deadLetters",
                        "inFlightReviews",
                        "latencyMillis",
                        "modelVersion_drift",
                        "modelVersion_throughputPerSecond",
                        "modelVersion_accuracy",
                        "modelVersion_shadowAgreementRate",
                        "modelVersion_deviceMemoryBytes",
                        "loadedModelVersions",
                        "controlCommandsApplied",
                        "controlCommandsRefused");
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                java.util.regex.Matcher m =
                        java.util.regex.Pattern.compile(
                                        "flink_taskmanager_job_task_operator_([A-Za-z_]+?)(?:_mean|_max)?[{\\[)]")
                                .matcher(target.path("expr").asText());
                assertThat(m.find()).as(target.toString()).isTrue();
                assertThat(registered).as(panel.path("title").asText()).contains(m.group(1));
            }
        }
    }

    @Test
    void theImageShouldHaveTheLibAndFlinkOptionsTheTestedClusterHas() throws IOException {
        String dockerfile = Files.readString(ROOT.resolve("deploy/Dockerfile"));
        // DJL's jars: the flink-lib module's list, which the local cluster and its tests use too.
        assertThat(dockerfile)
                .contains("-pl flink-lib dependency:copy-dependencies@djl-lib")
                .contains("COPY --from=build /out/djl-lib/ /opt/flink/lib/")
                .contains("DJL_OFFLINE=true");
        String pom = Files.readString(ROOT.resolve("flink-lib/pom.xml"));
        java.util.regex.Matcher executions =
                java.util.regex.Pattern.compile(
                                "<id>(djl-lib[^<]*)</id>.*?<includeGroupIds>([^<]+)</includeGroupIds>",
                                java.util.regex.Pattern.DOTALL)
                        .matcher(pom);
        Map<String, String> groups = new LinkedHashMap<>();
        while (executions.find()) {
            groups.put(executions.group(1), executions.group(2));
        }
        assertThat(groups)
                .containsOnlyKeys("djl-lib-classpath", "djl-lib")
                .allSatisfy((id, value) -> assertThat(value).isEqualTo("${djl.lib.groups}"));
        // Flink's options: the file the image appends is the one the cluster tests start with.
        String config = io.sentiflow.cli.ClusterCommand.IMAGE_FLINK_CONFIG;
        assertThat(dockerfile)
                .contains("COPY " + config + " ")
                .contains(">> /opt/flink/conf/config.yaml");
        List<String> keys = new ArrayList<>();
        yaml(config).fieldNames().forEachRemaining(keys::add);
        assertThat(keys).contains("classloader.parent-first-patterns.additional");
        // Flink's own config.yaml holds its Java 17 --add-opens flags in env.java.opts.all: an
        // appended value would replace them.
        assertThat(keys).noneMatch(k -> k.startsWith("env.java.opts"));
    }
}
