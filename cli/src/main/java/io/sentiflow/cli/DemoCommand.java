package io.sentiflow.cli;

import io.sentiflow.console.ConsoleServer;
import io.sentiflow.console.ConsoleSettings;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.data.ImdbDataset;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.Sentiment;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sentiflow demo}: everything on this machine — a Kafka broker, a model (trained when
 * missing), the job on a local Flink mini cluster — then real IMDB test reviews through it, with a
 * live line and a summary.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run the whole pipeline locally: an embedded Kafka broker, the job on a Flink mini cluster,",
            "IMDB test reviews in, sentiments out, with live throughput, latency and accuracy."
        })
public final class DemoCommand implements java.util.concurrent.Callable<Integer> {
    private static final String REVIEWS = "reviews";
    private static final String SENTIMENTS = "sentiments";
    private static final String DEAD_LETTERS = "reviews-dlq";
    private static final String HEALTH = "model-health";
    private static final String LABELS = "review-labels";
    private static final String SAMPLES = "review-samples";
    private static final String CONTROL = "model-control";

    /** Malformed messages the demo mixes in, to show the dead-letter topic at work. */
    private static final List<byte[]> MALFORMED =
            List.of(
                    "{\"id\": \"broken\", \"text\": ".getBytes(StandardCharsets.UTF_8),
                    "{\"text\": \"a review without an id\"}".getBytes(StandardCharsets.UTF_8),
                    "{\"id\": \"empty\", \"text\": \"  \"}".getBytes(StandardCharsets.UTF_8));

    @Option(
            names = "--count",
            defaultValue = "2000",
            description = "Reviews to send (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(
            names = "--rate",
            defaultValue = "200",
            description = "Reviews per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--data",
            description =
                    "IMDB folder with train.csv[.gz] and test.csv[.gz]. Default: ./data/imdb, then ../shared/data/imdb.")
    Path data;

    @Option(
            names = "--model",
            defaultValue = "models/textcnn-demo",
            description = "Model directory; trained here when missing (default: ${DEFAULT-VALUE}).")
    Path model;

    @Option(
            names = "--train-limit",
            defaultValue = "25000",
            description =
                    "Reviews to train on when the model is missing (default: ${DEFAULT-VALUE}).")
    int trainLimit;

    @Option(
            names = "--train-epochs",
            defaultValue = "2",
            description = "Epochs when training (default: ${DEFAULT-VALUE}).")
    int trainEpochs;

    @Option(
            names = "--embedding-size",
            defaultValue = "128",
            description = "Embedding width when training (default: ${DEFAULT-VALUE}).")
    int embeddingSize;

    @Option(
            names = "--bootstrap-servers",
            description = "Use this Kafka instead of starting one in-process.")
    String bootstrapServers;

    @Option(
            names = "--kafka-config",
            description =
                    "With --bootstrap-servers: a properties file of Kafka client settings (security.protocol, sasl.*, ssl.*); SENTIFLOW_KAFKA_* variables too.")
    Path clientConfig;

    /** Client settings for an external Kafka; none for the embedded one. */
    private Properties client = new Properties();

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--batch-size",
            defaultValue = "64",
            description = "batch.max-size of the job (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--web-ui-port",
            defaultValue = "0",
            description = "Flink web UI port; 0 picks a free one (default).")
    int webUiPort;

    @Option(
            names = "--console-port",
            defaultValue = "8080",
            description =
                    "Web console port; a free one when it is taken, -1 for no console (default: ${DEFAULT-VALUE}).")
    int consolePort;

    @Option(
            names = "--keep-running",
            description = "After the demo stream, keep the job and the console up until Ctrl-C.")
    boolean keepRunning;

    @Option(
            names = "--timeout",
            defaultValue = "0",
            description = "Give up after this many seconds; 0 derives it from count and rate.")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        Path modelDirectory = ensureModel();
        long runStart = System.currentTimeMillis();
        EmbeddedKafka embedded = null;
        try {
            String brokers = bootstrapServers;
            if (brokers != null) {
                client = KafkaOptions.clientProperties(clientConfig);
            }
            if (brokers == null) {
                System.out.println("starting an embedded Kafka broker (KRaft) on 127.0.0.1 ...");
                embedded = EmbeddedKafka.start();
                brokers = embedded.bootstrapServers();
            }
            System.out.println("Kafka: " + brokers);
            createTopics(brokers);
            return run(brokers, modelDirectory, runStart);
        } finally {
            if (embedded != null) {
                embedded.close();
                System.out.println("embedded Kafka stopped");
            }
        }
    }

    private Path ensureModel() throws IOException {
        return DemoModel.ensure(
                model, Optional.ofNullable(data), trainLimit, trainEpochs, embeddingSize);
    }

    private Properties adminProperties(String brokers) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        return props;
    }

    private void createTopics(String brokers) throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put(JobConfig.BOOTSTRAP_SERVERS, brokers);
        client.stringPropertyNames()
                .forEach(k -> settings.put(JobConfig.KAFKA_PREFIX + k, client.getProperty(k)));
        TopicsCommand.create(
                JobConfig.of(settings), 2, (short) 1, new PrintWriter(Writer.nullWriter()));
    }

    private int run(String brokers, Path modelDirectory, long runStart) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = new HashMap<>();
        settings.put(JobConfig.BOOTSTRAP_SERVERS, brokers);
        settings.put(JobConfig.MODEL_PATH, modelDirectory.toAbsolutePath().toString());
        settings.put(JobConfig.GROUP_ID, "sentiflow-demo-" + run);
        settings.put(JobConfig.STARTING_OFFSETS, "timestamp:" + runStart);
        settings.put(JobConfig.BATCH_MAX_SIZE, String.valueOf(batchSize));
        settings.put(JobConfig.CHECKPOINT_INTERVAL_MS, "1000");
        settings.put(JobConfig.HEALTH_WINDOW_MS, "2000");
        settings.put(JobConfig.TRANSACTIONAL_ID_PREFIX, "sentiflow-demo-" + run);
        settings.put(JobConfig.PARALLELISM, String.valueOf(parallelism));
        client.forEach(
                (key, value) -> settings.put(JobConfig.KAFKA_PREFIX + key, String.valueOf(value)));
        JobConfig config = JobConfig.of(settings);
        int port = webUiPort > 0 ? webUiPort : EmbeddedKafka.freePort();
        StreamExecutionEnvironment env = LocalFlink.environment(port, parallelism);
        JobClient job = SentimentJob.fromConfig(config).executeAsync(env);
        System.out.println(
                "Flink web UI: http://127.0.0.1:" + port + "  (job " + job.getJobID() + ")");
        ConsoleServer console = startConsole(brokers);
        try {
            return stream(brokers, run, runStart, job, console);
        } finally {
            if (console != null) {
                console.close();
            }
        }
    }

    private ConsoleServer startConsole(String brokers) throws Exception {
        if (consolePort < 0) {
            return null;
        }
        ConsoleSettings settings =
                ConsoleSettings.defaults(brokers, consolePort).withClientProperties(client);
        ConsoleServer console;
        try {
            console = ConsoleServer.start(settings);
        } catch (java.net.BindException taken) {
            console =
                    ConsoleServer.start(
                            ConsoleSettings.defaults(brokers, 0).withClientProperties(client));
        }
        System.out.println("Sentiflow console: " + console.address());
        return console;
    }

    private int stream(
            String brokers, String run, long runStart, JobClient job, ConsoleServer console)
            throws Exception {

        List<LabeledText> reviews =
                ImdbDataset.locate(Optional.ofNullable(data)).sample("test", count, 7);
        Map<String, Boolean> truth = new HashMap<>();
        for (int i = 0; i < reviews.size(); i++) {
            truth.put("demo-" + run + "-" + i, reviews.get(i).positive());
        }
        Map<String, Long> producedAt = new ConcurrentHashMap<>();
        AtomicInteger sent = new AtomicInteger();
        Thread producer =
                new Thread(() -> produce(brokers, run, reviews, producedAt, sent), "demo-producer");
        producer.setDaemon(true);
        producer.start();

        LiveStats stats = new LiveStats(truth);
        long timeout =
                timeoutSeconds > 0 ? timeoutSeconds : (long) (reviews.size() / rate) * 3 + 120;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
        long nextLine = System.nanoTime();
        try {
            try {
                try (KafkaConsumer<byte[], byte[]> consumer =
                        KafkaClients.consumer(brokers, client, true)) {
                    consumer.subscribe(List.of(SENTIMENTS, DEAD_LETTERS));
                    while (System.nanoTime() < deadline
                            && (stats.scored() < reviews.size()
                                    || stats.deadLetters() < MALFORMED.size())) {
                        for (ConsumerRecord<byte[], byte[]> record :
                                consumer.poll(Duration.ofMillis(200))) {
                            if (record.timestamp() < runStart) {
                                continue;
                            }
                            if (record.topic().equals(SENTIMENTS)) {
                                Sentiment sentiment = Json.sentiment(record.value());
                                stats.sentiment(
                                        sentiment,
                                        producedAt.getOrDefault(sentiment.reviewId(), 0L),
                                        System.currentTimeMillis());
                            } else {
                                stats.deadLetter();
                            }
                        }
                        if (System.nanoTime() >= nextLine) {
                            System.out.println(stats.line(sent.get(), reviews.size()));
                            nextLine = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                        }
                    }
                }
            } finally {
                producer.interrupt();
            }
            System.out.println(stats.line(sent.get(), reviews.size()));
            System.out.println(stats.summary(sent.get()));
            boolean complete =
                    stats.scored() == reviews.size() && stats.deadLetters() >= MALFORMED.size();
            if (!complete) {
                System.out.printf(
                        "incomplete: %d of %d reviews scored within %d s%n",
                        stats.scored(), reviews.size(), timeout);
            }
            if (keepRunning) {
                System.out.println(
                        "the job and the console keep running"
                                + (console == null ? "" : " at " + console.address())
                                + "; Ctrl-C stops them");
                java.util.concurrent.CountDownLatch stopped =
                        new java.util.concurrent.CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
                stopped.await();
            }
            return complete ? 0 : 1;
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
            awaitEnd(job);
            System.out.println("job cancelled");
        }
    }

    /**
     * Waits, up to 60 s, until the cancelled job has ended, so that the embedded broker stops after
     * it: a sink still closing against a stopped broker blocks for its {@code max.block.ms} (60 s),
     * and the mini cluster, its web UI port included, with it.
     */
    private static void awaitEnd(JobClient job) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                if (job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException
                    | java.util.concurrent.TimeoutException
                    | RuntimeException gone) {
                // The per-job cluster shuts down with its job and then answers no more.
                return;
            }
            Thread.sleep(100);
        }
    }

    private void produce(
            String brokers,
            String run,
            List<LabeledText> reviews,
            Map<String, Long> producedAt,
            AtomicInteger sent) {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(brokers, client)) {
            long start = System.nanoTime();
            for (byte[] malformed : MALFORMED) {
                producer.send(new ProducerRecord<>(REVIEWS, malformed));
            }
            for (int i = 0; i < reviews.size() && !Thread.currentThread().isInterrupted(); i++) {
                String id = "demo-" + run + "-" + i;
                long now = System.currentTimeMillis();
                producedAt.put(id, now);
                Review review =
                        new Review(
                                id,
                                reviews.get(i).text(),
                                reviews.get(i).positive() ? "positive" : "negative",
                                "imdb-test",
                                now);
                producer.send(
                        new ProducerRecord<>(
                                REVIEWS,
                                id.getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(review)));
                sent.incrementAndGet();
                Pacer.await(start, i + 1, rate);
            }
            producer.flush();
        }
    }
}
