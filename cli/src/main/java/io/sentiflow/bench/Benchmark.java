package io.sentiflow.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.Sentiment;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Measures, in one run on real IMDB test reviews: (a) the model alone at its best batch size, (b)
 * the job end to end with dynamic batching, (c) the job scoring one review per call, (d) latency at
 * half of (b)'s rate — for a sweep of batch sizes and delays. Prints a table and writes {@code
 * results.json} and two PNG plots.
 */
public final class Benchmark {
    /** What to measure. */
    public record Settings(
            Path model,
            List<LabeledText> reviews,
            int parallelism,
            List<Integer> batchSizes,
            List<Long> delays,
            int latencySeconds,
            Path output) {}

    private static final int DYNAMIC_SIZE = 64;
    private static final long DYNAMIC_DELAY = 50;

    private final Settings settings;
    private final PrintStream out;

    public Benchmark(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public ObjectNode run() throws Exception {
        ObjectNode results = Json.mapper().createObjectNode();
        results.put("reviews", settings.reviews().size());
        results.put("parallelism", settings.parallelism());
        results.put("cores", Runtime.getRuntime().availableProcessors());
        results.put("torchThreads", System.getProperty("ai.djl.pytorch.num_threads", "default"));

        List<int[]> tokenized = new ArrayList<>();
        try (SentimentScorer scorer = SentimentScorer.load(settings.model(), ai.djl.Device.cpu())) {
            results.put("modelVersion", scorer.modelVersion());
            for (LabeledText review : settings.reviews()) {
                tokenized.add(scorer.encoder().encode(review.text()));
            }
        }
        out.printf(
                Locale.ROOT,
                "(a) the model alone, pre-tokenized, %d scorer(s) side by side:%n",
                settings.parallelism());
        ObjectNode raw = results.putObject("raw");
        double best = 0;
        int bestSize = 0;
        for (int size : settings.batchSizes()) {
            List<int[]> sample =
                    size == 1 ? tokenized.subList(0, Math.min(1000, tokenized.size())) : tokenized;
            double perSecond =
                    RawThroughput.measure(settings.model(), sample, size, settings.parallelism());
            raw.put(String.valueOf(size), perSecond);
            out.printf(Locale.ROOT, "    batch %4d: %7.0f reviews/s%n", size, perSecond);
            if (perSecond > best) {
                best = perSecond;
                bestSize = size;
            }
        }
        results.put("rawBestPerSecond", best);
        results.put("rawBestBatchSize", bestSize);

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(2, List.of("bench-reviews"));
            preload(kafka, "bench-reviews");
            int n = settings.reviews().size();
            int run = 0;
            // One unrecorded run first, so every recorded run finds the JIT and libtorch warm.
            StreamRun.bounded(
                    kafka,
                    "bench-reviews",
                    n,
                    jobSettings(DYNAMIC_SIZE, DYNAMIC_DELAY),
                    settings.parallelism(),
                    "bench-warmup");

            out.println(
                    "(b, c) the job end to end (Kafka → Flink → Kafka), throughput on a backlog:");
            Map<String, StreamRun.Result> backlog = new LinkedHashMap<>();
            for (long delay : settings.delays()) {
                for (int size : settings.batchSizes()) {
                    if (delay != DYNAMIC_DELAY && size != DYNAMIC_SIZE) {
                        continue; // the delay sweep runs at batch 64 only
                    }
                    StreamRun.Result result =
                            StreamRun.bounded(
                                    kafka,
                                    "bench-reviews",
                                    n,
                                    jobSettings(size, delay),
                                    settings.parallelism(),
                                    "bench-run-" + run++);
                    if (result.reviews() != n) {
                        throw new IllegalStateException(
                                "a run scored " + result.reviews() + " of " + n + " reviews");
                    }
                    backlog.put(size + "/" + delay, result);
                    out.printf(
                            Locale.ROOT,
                            "    batch %4d, delay %3d ms: %7.0f reviews/s%n",
                            size,
                            delay,
                            result.perSecond());
                }
            }
            // (b) and (c) are the headline figures: two more runs each, and the median of three.
            for (int size : new int[] {DYNAMIC_SIZE, 1}) {
                String key = size + "/" + DYNAMIC_DELAY;
                List<StreamRun.Result> runs = new ArrayList<>(List.of(backlog.get(key)));
                for (int again = 0; again < 2; again++) {
                    runs.add(
                            StreamRun.bounded(
                                    kafka,
                                    "bench-reviews",
                                    n,
                                    jobSettings(size, DYNAMIC_DELAY),
                                    settings.parallelism(),
                                    "bench-run-" + run++));
                }
                runs.sort(java.util.Comparator.comparingDouble(StreamRun.Result::perSecond));
                ArrayNode all = results.putArray(size == 1 ? "singleRuns" : "dynamicRuns");
                runs.forEach(r -> all.add(r.perSecond()));
                out.printf(
                        Locale.ROOT,
                        "    batch %4d, delay %3d ms, three runs: %s → median %.0f reviews/s%n",
                        size,
                        DYNAMIC_DELAY,
                        runs.stream()
                                .map(r -> String.format(Locale.ROOT, "%.0f", r.perSecond()))
                                .toList(),
                        runs.get(1).perSecond());
                backlog.put(key, runs.get(1));
            }
            StreamRun.Result dynamic = backlog.get(DYNAMIC_SIZE + "/" + DYNAMIC_DELAY);
            StreamRun.Result single = backlog.get("1/" + DYNAMIC_DELAY);
            results.put("dynamicPerSecond", dynamic.perSecond());
            results.put("singlePerSecond", single.perSecond());

            double rate = dynamic.perSecond() / 2;
            out.printf(
                    Locale.ROOT,
                    "(d) latency (Kafka timestamp → scored) at half of (b)'s rate, %.0f reviews/s, %d s per point:%n",
                    rate,
                    settings.latencySeconds());
            ArrayNode sweep = results.putArray("sweep");
            StreamRun.Result halfLoad = null;
            for (Map.Entry<String, StreamRun.Result> point : backlog.entrySet()) {
                String[] key = point.getKey().split("/");
                int size = Integer.parseInt(key[0]);
                long delay = Long.parseLong(key[1]);
                StreamRun.Result latency =
                        latencyRun(kafka, rate, size, delay, "bench-live-" + run++);
                ObjectNode entry = sweep.addObject();
                entry.put("batchSize", size);
                entry.put("delayMs", delay);
                entry.put("perSecond", point.getValue().perSecond());
                entry.put("latencyRatePerSecond", rate);
                entry.put("p50Ms", latency.percentile(50));
                entry.put("p95Ms", latency.percentile(95));
                entry.put("p99Ms", latency.percentile(99));
                out.printf(
                        Locale.ROOT,
                        "    batch %4d, delay %3d ms: p50 %4d  p95 %4d  p99 %4d ms%n",
                        size,
                        delay,
                        latency.percentile(50),
                        latency.percentile(95),
                        latency.percentile(99));
                if (size == DYNAMIC_SIZE && delay == DYNAMIC_DELAY) {
                    halfLoad = latency;
                }
            }
            ObjectNode latency = results.putObject("halfLoad");
            latency.put("ratePerSecond", rate);
            latency.put("reviews", halfLoad.reviews());
            latency.put("p50Ms", halfLoad.percentile(50));
            latency.put("p95Ms", halfLoad.percentile(95));
            latency.put("p99Ms", halfLoad.percentile(99));
            ObjectNode ratios = results.putObject("ratios");
            ratios.put("dynamicOverRaw", dynamic.perSecond() / best);
            ratios.put("dynamicOverSingle", dynamic.perSecond() / single.perSecond());
            printTable(best, bestSize, dynamic, single, halfLoad, rate);
        }
        Files.createDirectories(settings.output());
        Json.mapper()
                .writer(SerializationFeature.INDENT_OUTPUT)
                .writeValue(settings.output().resolve("results.json").toFile(), results);
        BenchPlot.write(results, settings.output().resolve("bench.png"));
        out.println(
                "wrote "
                        + settings.output().resolve("results.json")
                        + ", bench.png and bench-delay.png");
        return results;
    }

    private Map<String, String> jobSettings(int batchSize, long delayMs) {
        return Map.of(
                JobConfig.MODEL_PATH, settings.model().toString(),
                JobConfig.BATCH_MAX_SIZE, String.valueOf(batchSize),
                JobConfig.BATCH_MAX_DELAY_MS, String.valueOf(delayMs));
    }

    private void preload(EmbeddedKafka kafka, String topic) {
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
            List<LabeledText> reviews = settings.reviews();
            for (int i = 0; i < reviews.size(); i++) {
                send(producer, topic, "bench-" + i, reviews.get(i).text());
            }
            producer.flush();
        }
    }

    /**
     * An unbounded job fed at {@code rate}; latency from each review's Kafka timestamp to scoring.
     */
    private StreamRun.Result latencyRun(
            EmbeddedKafka kafka, double rate, int batchSize, long delayMs, String name)
            throws Exception {
        kafka.createTopics(2, List.of(name));
        Map<String, String> values =
                StreamRun.runSettings(kafka, name, name, jobSettings(batchSize, delayMs));
        String output = values.get(JobConfig.TOPIC_SENTIMENTS);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(settings.parallelism());
        JobClient job = SentimentJob.fromConfig(JobConfig.of(values)).executeAsync(env);
        List<Sentiment> measured = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
            // Wait until the job answers, so its start-up does not count as latency.
            send(producer, name, "warmup", settings.reviews().get(0).text());
            producer.flush();
            KafkaClients.readUntil(
                    kafka.bootstrapServers(), output, r -> !r.isEmpty(), Duration.ofSeconds(60));
            int total = (int) (rate * settings.latencySeconds());
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                send(
                        producer,
                        name,
                        "live-" + i,
                        settings.reviews().get(i % settings.reviews().size()).text());
                long due = start + (long) ((i + 1) * 1e9 / rate);
                LockSupport.parkNanos(Math.max(0, due - System.nanoTime()));
            }
            producer.flush();
            List<ConsumerRecord<byte[], byte[]>> records =
                    KafkaClients.readUntil(
                            kafka.bootstrapServers(),
                            output,
                            r -> r.size() >= total + 1,
                            Duration.ofSeconds(60));
            for (ConsumerRecord<byte[], byte[]> record : records) {
                Sentiment sentiment = Json.sentiment(record.value());
                if (sentiment.reviewId().startsWith("live-")) {
                    measured.add(sentiment);
                }
            }
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        return StreamRun.summarize(measured);
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String id, String text) {
        producer.send(
                new ProducerRecord<>(
                        topic,
                        id.getBytes(StandardCharsets.UTF_8),
                        Json.toBytes(Review.of(id, text))));
    }

    private void printTable(
            double raw,
            int rawSize,
            StreamRun.Result dynamic,
            StreamRun.Result single,
            StreamRun.Result live,
            double rate) {
        out.println();
        out.println("| measure | value | target |");
        out.println("|---|---|---|");
        out.printf(
                Locale.ROOT,
                "| (a) model alone, best batch (%d), %d scorer(s) | %.0f reviews/s | the bound |%n",
                rawSize,
                settings.parallelism(),
                raw);
        out.printf(
                Locale.ROOT,
                "| (b) job, dynamic batching (%d, %d ms) | %.0f reviews/s | |%n",
                DYNAMIC_SIZE,
                DYNAMIC_DELAY,
                dynamic.perSecond());
        out.printf(
                Locale.ROOT, "| (c) job, batch size 1 | %.0f reviews/s | |%n", single.perSecond());
        out.printf(Locale.ROOT, "| (b)/(a) | %.2f | ≥ 0.8 |%n", dynamic.perSecond() / raw);
        out.printf(
                Locale.ROOT,
                "| (b)/(c) | %.1f | ≥ 4 |%n",
                dynamic.perSecond() / single.perSecond());
        out.printf(
                Locale.ROOT,
                "| (d) latency at %.0f reviews/s, p50 / p95 / p99 | %d / %d / %d ms | p99 ≤ 100 ms |%n",
                rate,
                live.percentile(50),
                live.percentile(95),
                live.percentile(99));
    }
}
