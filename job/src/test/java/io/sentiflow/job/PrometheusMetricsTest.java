package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Flink's Prometheus reporter on a mini cluster running the job: the endpoint serves the metric
 * names the README documents and the Grafana dashboard queries, with non-zero values.
 */
class PrometheusMetricsTest {
    private static final int PORT = freePort();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(prometheus())
                            .build());

    private static Configuration prometheus() {
        Configuration conf = new Configuration();
        conf.setString(
                "metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        conf.setString("metrics.reporter.prom.port", String.valueOf(PORT));
        return conf;
    }

    private static int freePort() {
        try {
            return EmbeddedKafka.freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theEndpointShouldServeEveryDocumentedMetricWithValues() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            StreamingFixture fixture = new StreamingFixture(kafka, "prom");
            List<LabeledText> reviews = TestModel.imdb().sample("test", 300, 8);
            try (KafkaProducer<byte[], byte[]> producer =
                    KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
                for (int i = 0; i < reviews.size(); i++) {
                    String id = "prom-" + i;
                    Review review =
                            new Review(
                                    id,
                                    reviews.get(i).text(),
                                    reviews.get(i).positive() ? "positive" : "negative",
                                    null,
                                    null);
                    producer.send(
                            new ProducerRecord<>(
                                    fixture.reviews,
                                    id.getBytes(StandardCharsets.UTF_8),
                                    Json.toBytes(review)));
                }
                producer.send(
                        new ProducerRecord<>(
                                fixture.reviews, "{not json".getBytes(StandardCharsets.UTF_8)));
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            JobClient job =
                    SentimentJob.fromConfig(
                                    fixture.config(Map.of(JobConfig.HEALTH_WINDOW_MS, "1000")))
                            .executeAsync(env);
            try {
                assertThat(
                                fixture.sentimentCounts(
                                        reviews.size(), Duration.ZERO, Duration.ofSeconds(90)))
                        .hasSize(reviews.size());
                Map<String, Double> metrics =
                        scrapeUntil(m -> sum(m, "modelVersion_drift") > 0, Duration.ofSeconds(30));
                for (String name :
                        List.of(
                                "reviewsIn",
                                "reviewsScored",
                                "batchSize_count",
                                "inferenceMillis_count",
                                "batchWaitMillis_count",
                                "latencyMillis_count",
                                "loadedModelVersions",
                                "reason_deadLetters",
                                "modelVersion_drift",
                                "modelVersion_throughputPerSecond",
                                "modelVersion_accuracy",
                                "modelVersion_deviceMemoryBytes")) {
                    assertThat(sum(metrics, name)).as(name).isGreaterThan(0);
                }
                for (String present :
                        List.of(
                                "inFlightReviews",
                                "controlCommandsApplied",
                                "controlCommandsRefused",
                                "modelVersion_shadowAgreementRate")) {
                    assertThat(metrics.keySet())
                            .as(present)
                            .anyMatch(k -> k.startsWith(OPERATOR + present));
                }
                assertThat(metrics.keySet()).anyMatch(k -> k.contains("reason=\"INVALID_JSON\""));
                assertThat(sum(metrics, "reviewsRejected")).as("the broken record").isEqualTo(1);
                for (String documented : readmeMetrics()) {
                    assertThat(metrics.keySet())
                            .as("the README documents " + documented)
                            .anyMatch(
                                    k ->
                                            k.equals(OPERATOR + documented)
                                                    || k.startsWith(OPERATOR + documented + "{"));
                }
                for (String queried : dashboardMetrics()) {
                    assertThat(metrics.keySet())
                            .as("the dashboard queries " + queried)
                            .anyMatch(
                                    k ->
                                            k.startsWith(queried + "{")
                                                    || k.startsWith(queried + " "));
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
                // Ended before the broker closes: a sink still closing against a stopped broker
                // blocks for its max.block.ms (60 s) when the cluster shuts down.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
            }
        }
    }

    private static final String OPERATOR = "flink_taskmanager_job_task_operator_";

    private static double sum(Map<String, Double> metrics, String name) {
        return metrics.entrySet().stream()
                .filter(
                        e ->
                                e.getKey().startsWith(OPERATOR + name + "{")
                                        || e.getKey().equals(OPERATOR + name))
                .mapToDouble(Map.Entry::getValue)
                .filter(v -> !Double.isNaN(v))
                .sum();
    }

    private static Map<String, Double> scrapeUntil(
            java.util.function.Predicate<Map<String, Double>> done, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Double> metrics = scrape();
        while (!done.test(metrics) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            metrics = scrape();
        }
        return metrics;
    }

    private static Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + PORT + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Double> metrics = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                metrics.put(
                        line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                metrics.put(line.substring(0, space), Double.NaN);
            }
        }
        return metrics;
    }

    /**
     * The metric names the README's table documents, as the Prometheus reporter names them: a
     * group's variable part ({@code reason.<CODE>.deadLetters}) becomes a label, dots underscores.
     */
    private static List<String> readmeMetrics() throws IOException {
        List<String> lines = java.nio.file.Files.readAllLines(Path.of("..", "README.md"));
        int table = lines.indexOf("| operator | metric | kind | meaning |");
        assertThat(table).as("the README's table of metrics").isNotNegative();
        List<String> names = new java.util.ArrayList<>();
        for (int i = table + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String cell = lines.get(i).split(" \\| ")[1];
            Matcher code = Pattern.compile("`([^`]+)`").matcher(cell);
            String group = "";
            while (code.find()) {
                String name = code.group(1);
                if (name.startsWith(".")) {
                    name = group + name; // `.accuracy` after `modelVersion.<version>.drift`
                } else if (name.contains(".<")) {
                    group = name.substring(0, name.indexOf(".<"));
                }
                names.add(name.replaceAll("\\.<[^>]+>", "").replace('.', '_'));
            }
        }
        assertThat(names).hasSizeGreaterThan(15);
        return names;
    }

    /** The metric names in the Grafana dashboard's queries. */
    private static List<String> dashboardMetrics() throws IOException {
        String dashboard =
                java.nio.file.Files.readString(
                        Path.of("..", "deploy", "grafana", "dashboards", "sentiflow.json"));
        Matcher m =
                Pattern.compile("(flink_taskmanager_job_task_operator_[A-Za-z_]+)")
                        .matcher(dashboard);
        List<String> names = new java.util.ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        assertThat(names).isNotEmpty();
        return names.stream().distinct().toList();
    }
}
