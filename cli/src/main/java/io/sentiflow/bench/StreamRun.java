package io.sentiflow.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.Sentiment;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Runs of the real job on a local mini cluster, on a backlog in Kafka or fed at a rate. */
final class StreamRun {
    /** Share of a run's first scorings left out of its throughput: the job warming up. */
    static final double WARM_UP_SHARE = 0.25;

    /**
     * Seconds a live run streams at its rate before the reviews whose latency is measured: with 15,
     * the C2 compiler still took a third of a core through the measured part of a half-load run
     * (the broker's and the Kafka clients' code shares this JVM), and its p99 with it.
     */
    static final int LIVE_WARM_UP_SECONDS = 60;

    /**
     * Seconds of unmeasured backlog runs before the measured ones of a model: after a single
     * warm-up run the C2 compiler still took a third to three quarters of a core through (b)'s
     * three runs (per-thread CPU read from /proc), and the first of them was the slowest by up to
     * half.
     */
    static final int BACKLOG_WARM_UP_SECONDS = 60;

    /**
     * @param reviews how many reviews were scored
     * @param perSecond scored reviews per second in the steady state: from the end of the first
     *     quarter of scorings to the last one
     * @param latencies milliseconds from each review's Kafka timestamp to its scoring, sorted
     * @param cpuMillis CPU milliseconds the steady state cost, by what spent them ({@link
     *     CpuMeter})
     * @param steadyReviews reviews scored in the steady state
     * @param meanBatchSize the mean batch the job formed, from its health records (0: not read)
     * @param runsPerSecond for a median, every run's throughput in the order they ran; else empty
     * @param p99ByQuarterMs for a live run, the p99 of each quarter by send order; else empty
     */
    record Result(
            int reviews,
            double perSecond,
            List<Long> latencies,
            Map<String, Double> cpuMillis,
            int steadyReviews,
            double meanBatchSize,
            List<Double> runsPerSecond,
            List<Long> p99ByQuarterMs) {
        Result withMeanBatchSize(double mean) {
            return with(mean, runsPerSecond, p99ByQuarterMs);
        }

        /** The same result, with the throughput of every run it is the median of, in order. */
        Result withRuns(List<Double> runs) {
            return with(meanBatchSize, List.copyOf(runs), p99ByQuarterMs);
        }

        /** The same result, with the p99 of each quarter of a live run, in send order. */
        Result withQuarters(List<Long> p99) {
            return with(meanBatchSize, runsPerSecond, List.copyOf(p99));
        }

        private Result with(double mean, List<Double> runs, List<Long> quarters) {
            return new Result(
                    reviews, perSecond, latencies, cpuMillis, steadyReviews, mean, runs, quarters);
        }

        /** The median's runs, reviews per second in the order they ran. */
        ArrayNode runsJson() {
            ArrayNode runs = Json.mapper().createArrayNode();
            runsPerSecond.forEach(runs::add);
            return runs;
        }

        long percentile(int p) {
            if (latencies.isEmpty()) {
                return 0;
            }
            int index = (int) Math.ceil(p / 100.0 * latencies.size()) - 1;
            return latencies.get(Math.max(0, Math.min(latencies.size() - 1, index)));
        }

        /** The CPU per review of the whole process (job, broker, clients), µs. */
        double cpuMicrosPerReview() {
            double total = cpuMillis.getOrDefault("process total", 0.0);
            return steadyReviews == 0 ? 0 : total * 1000 / steadyReviews;
        }

        /** Cores the whole process kept busy in the steady state. */
        double coresInUse() {
            return cpuMicrosPerReview() * perSecond / 1e6;
        }

        Map<String, Double> cpuMicrosByGroup() {
            Map<String, Double> micros = new LinkedHashMap<>();
            cpuMillis.forEach(
                    (group, millis) ->
                            micros.put(
                                    group, steadyReviews == 0 ? 0 : millis * 1000 / steadyReviews));
            return micros;
        }

        ObjectNode cpuJson() {
            ObjectNode node = Json.mapper().createObjectNode();
            node.put("microsPerReview", cpuMicrosPerReview());
            ObjectNode groups = node.putObject("microsPerReviewByGroup");
            cpuMicrosByGroup().forEach(groups::put);
            return node;
        }

        ObjectNode latencyJson(double rate) {
            ObjectNode node = Json.mapper().createObjectNode();
            node.put("ratePerSecond", rate);
            node.put("reviews", reviews);
            node.put("p50Ms", percentile(50));
            node.put("p95Ms", percentile(95));
            node.put("p99Ms", percentile(99));
            node.put("meanBatchSize", meanBatchSize);
            node.put("coresInUse", coresInUse());
            ArrayNode quarters = node.putArray("p99ByQuarterMs");
            p99ByQuarterMs.forEach(quarters::add);
            node.set("cpu", cpuJson());
            return node;
        }
    }

    private final EmbeddedKafka kafka;
    private final LocalCluster cluster;
    private final String topic;
    private final List<LabeledText> reviews;
    private final int parallelism;
    private final PrintStream out;
    private final Map<String, String> extra;

    /** Every run gets topics and a consumer group of its own, across instances too. */
    private static final java.util.concurrent.atomic.AtomicInteger RUNS =
            new java.util.concurrent.atomic.AtomicInteger();

    /**
     * @param extra job settings added to every run, e.g. {@code samples.band}
     */
    StreamRun(
            EmbeddedKafka kafka,
            LocalCluster cluster,
            String topic,
            List<LabeledText> reviews,
            int parallelism,
            PrintStream out,
            Map<String, String> extra) {
        this.kafka = kafka;
        this.cluster = cluster;
        this.topic = topic;
        this.reviews = reviews;
        this.parallelism = parallelism;
        this.out = out;
        this.extra = extra;
    }

    /** Scores the whole backlog with a bounded job (at-least-once, so output shows at once). */
    Result backlog(Path model, int batchSize, long delayMs) throws Exception {
        Map<String, String> values =
                runSettings(
                        topic,
                        "bench-run-" + RUNS.getAndIncrement(),
                        Benchmark.jobSettings(model, batchSize, delayMs));
        values.put(JobConfig.BOUNDED, "true");
        StreamExecutionEnvironment env = cluster.environment(parallelism);
        List<ConsumerRecord<byte[], byte[]>> records;
        try (CpuMeter meter = new CpuMeter()) {
            checkParallelism(SentimentJob.fromConfig(JobConfig.of(values)).execute(env).getJobID());
            records =
                    KafkaClients.readUntil(
                            kafka.bootstrapServers(),
                            values.get(JobConfig.TOPIC_SENTIMENTS),
                            r -> r.size() >= reviews.size(),
                            Duration.ofSeconds(60));
            return check(
                    summarize(records.stream().map(r -> Json.sentiment(r.value())).toList(), meter)
                            .withMeanBatchSize(meanBatchSize(values.get(JobConfig.TOPIC_HEALTH))));
        }
    }

    /**
     * Every scoring subtask the run was meant to have (the input topics have at least as many
     * partitions, so each gets reviews).
     */
    private void checkParallelism(JobID id) throws Exception {
        int scoring = cluster.parallelismOf(id, "ScoreBatch");
        if (scoring != parallelism) {
            throw new IllegalStateException(
                    "the job scored at parallelism " + scoring + ", not " + parallelism);
        }
    }

    private Result check(Result result) {
        if (result.reviews() != reviews.size()) {
            throw new IllegalStateException(
                    "a run scored " + result.reviews() + " of " + reviews.size() + " reviews");
        }
        return result;
    }

    /** The mean batch size of a run's health records (reviews over batches, every version). */
    private double meanBatchSize(String healthTopic) {
        double reviewsInBatches = 0;
        double batches = 0;
        for (ConsumerRecord<byte[], byte[]> record :
                KafkaClients.readUntil(
                        kafka.bootstrapServers(), healthTopic, r -> false, Duration.ofSeconds(2))) {
            var health = Json.modelHealth(record.value());
            if (health.batchSizeMean() > 0) {
                reviewsInBatches += health.reviewsScored();
                batches += health.reviewsScored() / health.batchSizeMean();
            }
        }
        return batches == 0 ? 0 : reviewsInBatches / batches;
    }

    /** Three backlog runs; the median one. */
    Result median(Path model, int batchSize, long delayMs, String label) throws Exception {
        List<Result> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(backlog(model, batchSize, delayMs));
        }
        List<String> inOrder =
                runs.stream()
                        .map(
                                r ->
                                        String.format(
                                                Locale.ROOT,
                                                "%.0f/s at %.0f µs",
                                                r.perSecond(),
                                                r.cpuMicrosPerReview()))
                        .toList();
        List<Double> perSecond = runs.stream().map(Result::perSecond).toList();
        runs.sort(Benchmark.byThroughput());
        out.printf(
                Locale.ROOT,
                "    %s batch %d, minimum delay %d ms, three runs (in order): %s → median %.0f reviews/s, %.0f µs CPU per review%n",
                label,
                batchSize,
                delayMs,
                inOrder,
                runs.get(1).perSecond(),
                runs.get(1).cpuMicrosPerReview());
        return runs.get(1).withRuns(perSecond);
    }

    /**
     * An unbounded job fed at {@code rate}; latency from each review's Kafka timestamp to scoring.
     */
    Result live(Path model, double rate, int batchSize, long delayMs, int seconds, String label)
            throws Exception {
        String name = "bench-live-" + RUNS.getAndIncrement();
        kafka.createTopics(Math.max(2, parallelism), List.of(name));
        Map<String, String> values =
                runSettings(name, name, Benchmark.jobSettings(model, batchSize, delayMs));
        String output = values.get(JobConfig.TOPIC_SENTIMENTS);
        StreamExecutionEnvironment env = cluster.environment(parallelism);
        JobClient job = SentimentJob.fromConfig(JobConfig.of(values)).executeAsync(env);
        List<Sentiment> measured = new ArrayList<>();
        // One stream at the rate: the first LIVE_WARM_UP_SECONDS unmeasured, so the JIT has
        // compiled the live path (small fetches, small batches) before latency counts.
        int warmUp = (int) (rate * LIVE_WARM_UP_SECONDS);
        int total = (int) (rate * seconds);
        Result result;
        try (CpuMeter meter = new CpuMeter();
                KafkaProducer<byte[], byte[]> producer =
                        KafkaClients.producer(kafka.bootstrapServers(), new Properties())) {
            // Wait until the job answers, so its start-up does not count as latency.
            send(producer, name, "warmup", reviews.get(0).text());
            producer.flush();
            KafkaClients.readUntil(
                    kafka.bootstrapServers(), output, r -> !r.isEmpty(), Duration.ofSeconds(60));
            long start = System.nanoTime();
            for (int i = 0; i < warmUp + total; i++) {
                String id = i < warmUp ? "warmup-" + i : "live-" + (i - warmUp);
                send(producer, name, id, reviews.get(i % reviews.size()).text());
                long due = start + (long) ((i + 1) * 1e9 / rate);
                LockSupport.parkNanos(Math.max(0, due - System.nanoTime()));
            }
            producer.flush();
            for (ConsumerRecord<byte[], byte[]> record :
                    KafkaClients.readUntil(
                            kafka.bootstrapServers(),
                            output,
                            r -> r.size() >= warmUp + total + 1,
                            Duration.ofSeconds(60))) {
                Sentiment sentiment = Json.sentiment(record.value());
                if (sentiment.reviewId().startsWith("live-")) {
                    measured.add(sentiment);
                }
            }
            result =
                    summarize(measured, meter)
                            .withMeanBatchSize(meanBatchSize(values.get(JobConfig.TOPIC_HEALTH)))
                            .withQuarters(quarters(measured, total));
        } finally {
            try {
                job.cancel().get(30, TimeUnit.SECONDS);
            } catch (Exception ended) {
                // A job that failed has ended already: nothing to cancel.
            }
            // Ended, not just asked to end: its tasks would otherwise run into the next run.
            cluster.awaitEnd(job.getJobID(), Duration.ofSeconds(60));
        }
        checkParallelism(job.getJobID());
        out.printf(
                Locale.ROOT,
                "    %s, %.0f reviews/s, batch %d, minimum delay %d ms: p50 %d  p95 %d  p99 %d ms"
                        + " (p99 by quarter of the run: %s; mean batch, warm-up included, %.1f; CPU per review %.0f µs,"
                        + " %.2f cores)%n",
                label,
                rate,
                batchSize,
                delayMs,
                result.percentile(50),
                result.percentile(95),
                result.percentile(99),
                result.p99ByQuarterMs().stream()
                        .map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(" / ")),
                result.meanBatchSize(),
                result.cpuMicrosPerReview(),
                result.coresInUse());
        result.cpuMicrosByGroup()
                .forEach(
                        (group, micros) ->
                                out.printf(Locale.ROOT, "        %-18s %7.1f µs%n", group, micros));
        return result;
    }

    /**
     * The p99 latency of each quarter of a live run, by send order: shows where a checkpoint's
     * spike (every 10 s here) or a warm-up transient falls.
     */
    private static List<Long> quarters(List<Sentiment> measured, int total) {
        List<List<Sentiment>> parts = new ArrayList<>();
        for (int q = 0; q < 4; q++) {
            parts.add(new ArrayList<>());
        }
        for (Sentiment s : measured) {
            int i = Integer.parseInt(s.reviewId().substring("live-".length()));
            parts.get(Math.min(3, (int) (4L * i / Math.max(1, total)))).add(s);
        }
        List<Long> p99 = new ArrayList<>();
        for (List<Sentiment> part : parts) {
            p99.add(summarize(part, null).percentile(99));
        }
        return p99;
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String id, String text) {
        producer.send(
                new ProducerRecord<>(
                        topic,
                        id.getBytes(StandardCharsets.UTF_8),
                        Json.toBytes(Review.of(id, text))));
    }

    /**
     * The job's settings for one run named {@code name}: its own output topics (created here), its
     * own consumer group, at-least-once output so results are visible at once.
     */
    private Map<String, String> runSettings(
            String reviewsTopic, String name, Map<String, String> settings)
            throws java.io.IOException {
        Map<String, String> values = new HashMap<>(settings);
        values.putAll(extra);
        values.put(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        values.put(JobConfig.TOPIC_REVIEWS, reviewsTopic);
        values.put(JobConfig.TOPIC_SENTIMENTS, name + "-sentiments");
        values.put(JobConfig.TOPIC_DEAD_LETTERS, name + "-dlq");
        values.put(JobConfig.TOPIC_HEALTH, name + "-health");
        values.put(JobConfig.TOPIC_LABELS, name + "-labels");
        values.put(JobConfig.TOPIC_SAMPLES, name + "-samples");
        values.put(JobConfig.TOPIC_CONTROL, name + "-control");
        values.put(JobConfig.TOPIC_ROUTING, name + "-routing");
        values.put(JobConfig.GROUP_ID, name);
        values.put(JobConfig.DELIVERY, "at-least-once");
        values.put(JobConfig.CHECKPOINT_INTERVAL_MS, "10000");
        kafka.createTopics(
                2,
                List.of(
                        values.get(JobConfig.TOPIC_SENTIMENTS),
                        values.get(JobConfig.TOPIC_DEAD_LETTERS),
                        values.get(JobConfig.TOPIC_HEALTH),
                        values.get(JobConfig.TOPIC_LABELS),
                        values.get(JobConfig.TOPIC_SAMPLES),
                        values.get(JobConfig.TOPIC_CONTROL),
                        values.get(JobConfig.TOPIC_ROUTING)));
        return values;
    }

    /** Throughput and CPU over the steady state: from the end of the first quarter of scorings. */
    static Result summarize(List<Sentiment> sentiments, CpuMeter meter) {
        List<Long> latencies = new ArrayList<>();
        List<Long> scoredAt = new ArrayList<>();
        for (Sentiment s : sentiments) {
            latencies.add(s.latencyMs());
            scoredAt.add(s.scoredAt());
        }
        Collections.sort(latencies);
        Collections.sort(scoredAt);
        // Steady state, as the model-alone figure (measured after a warm-up pass): the rate from
        // the end of the first quarter of scorings to the last one, once JIT and libtorch are warm.
        int from = (int) (scoredAt.size() * WARM_UP_SHARE);
        int last = scoredAt.size() - 1;
        double seconds =
                scoredAt.isEmpty()
                        ? 1e-3
                        : Math.max(1e-3, (scoredAt.get(last) - scoredAt.get(from)) / 1000.0);
        Map<String, Double> cpu =
                meter == null || scoredAt.isEmpty()
                        ? Map.of()
                        : meter.millisBetween(scoredAt.get(from), scoredAt.get(last));
        return new Result(
                sentiments.size(),
                Math.max(0, last - from) / seconds,
                latencies,
                cpu,
                Math.max(0, last - from),
                0,
                List.of(),
                List.of());
    }
}
