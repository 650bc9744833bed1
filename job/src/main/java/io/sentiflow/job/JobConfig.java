package io.sentiflow.job;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The job's whole configuration: named keys with defaults, read once from {@code --key value}
 * arguments and an optional properties file ({@code --config FILE}); arguments win.
 *
 * <p>Keys starting with {@code kafka.} are passed to every Kafka client of the job with the prefix
 * removed (e.g. {@code kafka.security.protocol=SASL_SSL}). Put secrets in the properties file, not
 * on the command line.
 */
public final class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String TOPIC_REVIEWS = "topic.reviews";
    public static final String TOPIC_SENTIMENTS = "topic.sentiments";
    public static final String TOPIC_DEAD_LETTERS = "topic.dead-letters";
    public static final String TOPIC_HEALTH = "topic.health";
    public static final String TOPIC_LABELS = "topic.labels";
    public static final String LABELS_TTL_MS = "labels.ttl-ms";
    public static final String TOPIC_SAMPLES = "topic.samples";
    public static final String SAMPLES_BAND = "samples.band";
    public static final String SAMPLES_DRIFT_MAX = "samples.drift-max";
    public static final String HEALTH_WINDOW_MS = "health.window-ms";
    public static final String HEALTH_DRIFT_THRESHOLD = "health.drift-threshold";
    public static final String HEALTH_ERROR_RATE_THRESHOLD = "health.error-rate-threshold";
    public static final String HEALTH_P99_THRESHOLD_MS = "health.p99-threshold-ms";
    public static final String HEALTH_ESTIMATED_ACCURACY_DROP = "health.estimated-accuracy-drop";
    public static final String GROUP_ID = "group.id";
    public static final String STARTING_OFFSETS = "starting-offsets";
    public static final String BOUNDED = "bounded";
    public static final String MODEL_PATH = "model.path";
    public static final String MODEL_VERSION = "model.version";
    public static final String MODEL_MAX_LOADED = "model.max-loaded";
    public static final String REGISTRY_ROOT = "registry.root";
    public static final String TOPIC_CONTROL = "topic.control";
    public static final String TOPIC_ROUTING = "topic.routing";
    public static final String ROUTING_RESTORE = "routing.restore";
    public static final String DEVICE = "device";
    public static final String DEVICE_THREADS = "device.threads";
    public static final String BATCH_MAX_SIZE = "batch.max-size";
    public static final String BATCH_MAX_DELAY_MS = "batch.max-delay-ms";
    public static final String BATCH_MAX_PENDING = "batch.max-pending";
    public static final String BATCH_SORT_WINDOW = "batch.sort-window";
    public static final String BATCH_LOAD_DELAY_MS = "batch.load-delay-ms";

    /** The most {@link #BATCH_MAX_DELAY_MS} and {@link #BATCH_LOAD_DELAY_MS} may be. */
    public static final long MAX_BATCH_DELAY_MS = 60_000;

    /**
     * The default of {@link #BATCH_LOAD_DELAY_MS}: at half of the job's backlog throughput on two
     * cores, 25 ms held the process at ~1.45 cores and p99 76–96 ms in five runs; 10 ms let it
     * reach 1.6–1.8 cores and p99 67–218 ms; 40 ms saved no more CPU and added its wait to the p99.
     */
    public static final long DEFAULT_LOAD_DELAY_MS = 25;

    public static final String NETWORK_BUFFER_TIMEOUT_MS = "network.buffer-timeout-ms";
    public static final String REVIEW_MAX_BYTES = "review.max-bytes";
    public static final String PARALLELISM = "parallelism";
    public static final String DELIVERY = "delivery";
    public static final String CHECKPOINT_INTERVAL_MS = "checkpoint.interval-ms";
    public static final String TRANSACTIONAL_ID_PREFIX = "transactional-id-prefix";
    public static final String DEAD_LETTERS_MAX_VALUE_BYTES = "dead-letters.max-value-bytes";
    public static final String OUTPUT_MAX_RECORD_BYTES = "output.max-record-bytes";
    public static final String LABELS_MAX_BYTES = "labels.max-bytes";
    public static final String LABELS_JOIN_FRACTION = "labels.join-fraction";
    public static final String CONTROL_MAX_BYTES = "control.max-bytes";
    public static final String CONTROL_MAX_PENDING = "control.max-pending";
    public static final String CONTROL_TRUSTED_KEYS = "control.trusted-keys";
    public static final String CONTROL_MAX_AGE_MS = "control.max-age-ms";
    public static final String CONTROL_SIGN_KEY = "control.sign-key";
    public static final String CONTROL_DECISIONS = "control.decisions";

    /**
     * The smallest {@code control.max-bytes}: a canary decision (a reason of at most 1,024
     * characters, ids and versions of at most 256, a signature) always fits.
     */
    static final int MIN_CONTROL_MAX_BYTES = 8192;

    public static final String REGISTRY_TRUSTED_KEYS = "registry.trusted-keys";
    public static final String REVIEW_TIMESTAMP_MAX_AGE_MS = "review.timestamp-max-age-ms";
    public static final String STATE_BACKEND = "state.backend";
    public static final String RESTART_MAX_FAILURES = "restart.max-failures";
    public static final String RESTART_INTERVAL_MS = "restart.interval-ms";
    public static final String RESTART_DELAY_MS = "restart.delay-ms";
    public static final String KAFKA_PREFIX = "kafka.";

    /** Room in an output record for everything besides a dead letter's value or a sample's text. */
    static final int RECORD_OVERHEAD_BYTES = 16 * 1024;

    private static final String CONFIG_FILE = "config";

    private static final Map<String, String> DEFAULTS = defaults();

    private final Map<String, String> values;

    private JobConfig(Map<String, String> values) {
        this.values = Map.copyOf(values);
        validate();
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(BOOTSTRAP_SERVERS, "localhost:9092");
        d.put(TOPIC_REVIEWS, "reviews");
        d.put(TOPIC_SENTIMENTS, "sentiments");
        d.put(TOPIC_DEAD_LETTERS, "reviews-dlq");
        d.put(TOPIC_HEALTH, "model-health");
        d.put(TOPIC_LABELS, "review-labels");
        d.put(LABELS_TTL_MS, "3600000");
        d.put(TOPIC_SAMPLES, "review-samples");
        d.put(SAMPLES_BAND, "0.05");
        d.put(SAMPLES_DRIFT_MAX, "20");
        d.put(HEALTH_WINDOW_MS, "10000");
        d.put(HEALTH_DRIFT_THRESHOLD, "0.2");
        d.put(HEALTH_ERROR_RATE_THRESHOLD, "0.05");
        d.put(HEALTH_P99_THRESHOLD_MS, "1000");
        d.put(HEALTH_ESTIMATED_ACCURACY_DROP, "0.05");
        d.put(GROUP_ID, "sentiflow");
        d.put(STARTING_OFFSETS, "earliest");
        d.put(BOUNDED, "false");
        d.put(MODEL_PATH, "models/textcnn-demo");
        d.put(MODEL_VERSION, "");
        d.put(MODEL_MAX_LOADED, "4");
        d.put(REGISTRY_ROOT, "");
        d.put(TOPIC_CONTROL, "model-control");
        d.put(TOPIC_ROUTING, "model-routing");
        d.put(ROUTING_RESTORE, "true");
        d.put(DEVICE, "auto");
        d.put(DEVICE_THREADS, "0");
        d.put(BATCH_MAX_SIZE, "64");
        d.put(BATCH_MAX_DELAY_MS, "0");
        d.put(BATCH_MAX_PENDING, "0");
        d.put(BATCH_SORT_WINDOW, String.valueOf(Batcher.DEFAULT_WINDOW_BATCHES));
        d.put(BATCH_LOAD_DELAY_MS, String.valueOf(DEFAULT_LOAD_DELAY_MS));
        d.put(NETWORK_BUFFER_TIMEOUT_MS, "5");
        d.put(REVIEW_MAX_BYTES, "100000");
        d.put(PARALLELISM, "0");
        d.put(DELIVERY, "exactly-once");
        d.put(CHECKPOINT_INTERVAL_MS, "2000");
        d.put(TRANSACTIONAL_ID_PREFIX, "sentiflow");
        d.put(DEAD_LETTERS_MAX_VALUE_BYTES, "65536");
        d.put(OUTPUT_MAX_RECORD_BYTES, "1048576");
        d.put(LABELS_MAX_BYTES, "16384");
        d.put(LABELS_JOIN_FRACTION, "0.01");
        d.put(CONTROL_MAX_BYTES, "16384");
        d.put(CONTROL_MAX_PENDING, "100");
        d.put(CONTROL_TRUSTED_KEYS, "");
        d.put(CONTROL_MAX_AGE_MS, "0");
        d.put(CONTROL_SIGN_KEY, "");
        d.put(CONTROL_DECISIONS, "true");
        d.put(REGISTRY_TRUSTED_KEYS, "");
        d.put(REVIEW_TIMESTAMP_MAX_AGE_MS, "600000");
        d.put(STATE_BACKEND, "hashmap");
        d.put(RESTART_MAX_FAILURES, "10");
        d.put(RESTART_INTERVAL_MS, "600000");
        d.put(RESTART_DELAY_MS, "5000");
        return d;
    }

    /** Every key the job understands, besides the {@code kafka.*} pass-through. */
    public static Set<String> knownKeys() {
        return DEFAULTS.keySet();
    }

    /** Reads {@code --key value} (or {@code --key=value}) arguments and {@code --config FILE}. */
    public static JobConfig fromArgs(String... args) throws IOException {
        Map<String, String> fromArgs = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("expected --key value, got '" + arg + "'");
            }
            String key = arg.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
            fromArgs.put(key, value);
        }
        Map<String, String> merged = new LinkedHashMap<>(DEFAULTS);
        String file = fromArgs.remove(CONFIG_FILE);
        if (file != null) {
            merged.putAll(readProperties(Path.of(file)));
        }
        merged.putAll(fromArgs);
        return new JobConfig(merged);
    }

    /** A config from explicit values on top of the defaults. */
    public static JobConfig of(Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(DEFAULTS);
        merged.putAll(overrides);
        return new JobConfig(merged);
    }

    /** A copy with some values replaced. */
    public JobConfig with(Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(values);
        merged.putAll(overrides);
        return new JobConfig(merged);
    }

    static Map<String, String> readProperties(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> map = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
        return map;
    }

    private void validate() {
        for (String key : values.keySet()) {
            if (!DEFAULTS.containsKey(key) && !key.startsWith(KAFKA_PREFIX)) {
                throw new IllegalArgumentException(
                        "unknown configuration key '"
                                + key
                                + "'; known keys: "
                                + DEFAULTS.keySet()
                                + " and kafka.*");
            }
        }
        positive(BATCH_MAX_SIZE);
        positive(REVIEW_MAX_BYTES);
        positive(CHECKPOINT_INTERVAL_MS);
        positive(HEALTH_WINDOW_MS);
        positive(LABELS_TTL_MS);
        if (!(doubleValue(SAMPLES_BAND) >= 0 && doubleValue(SAMPLES_BAND) <= 0.5)) {
            throw new IllegalArgumentException(SAMPLES_BAND + " must be in [0, 0.5]");
        }
        positive(HEALTH_P99_THRESHOLD_MS);
        if (!(doubleValue(HEALTH_DRIFT_THRESHOLD) > 0)
                || !(doubleValue(HEALTH_ERROR_RATE_THRESHOLD) >= 0)) {
            throw new IllegalArgumentException(
                    HEALTH_DRIFT_THRESHOLD
                            + " must be > 0 and "
                            + HEALTH_ERROR_RATE_THRESHOLD
                            + " >= 0");
        }
        if (longValue(BATCH_MAX_PENDING) != 0 && batchMaxPending() < batchMaxSize()) {
            throw new IllegalArgumentException(
                    BATCH_MAX_PENDING + " must be 0 or at least " + BATCH_MAX_SIZE);
        }
        if (batchSortWindow() < 0) {
            throw new IllegalArgumentException(BATCH_SORT_WINDOW + " must be >= 0");
        }
        // A delay's deadline is an arrival time plus the delay: bounded, it cannot overflow.
        for (String delay : new String[] {BATCH_MAX_DELAY_MS, BATCH_LOAD_DELAY_MS}) {
            if (longValue(delay) > MAX_BATCH_DELAY_MS) {
                throw new IllegalArgumentException(
                        delay + " must be at most " + MAX_BATCH_DELAY_MS + " (a minute)");
            }
        }
        if (batchLoadDelayMs() < 0) {
            throw new IllegalArgumentException(BATCH_LOAD_DELAY_MS + " must be >= 0");
        }
        if (networkBufferTimeoutMs() < 0) {
            throw new IllegalArgumentException(NETWORK_BUFFER_TIMEOUT_MS + " must be >= 0");
        }
        if (batchMaxDelayMs() < 0 || parallelism() < 0 || deviceThreads() < 0) {
            throw new IllegalArgumentException(
                    BATCH_MAX_DELAY_MS
                            + ", "
                            + PARALLELISM
                            + " and "
                            + DEVICE_THREADS
                            + " must be >= 0");
        }
        oneOf(DEVICE, "auto", "cpu", "gpu");
        if (samplesDriftMax() < 0) {
            throw new IllegalArgumentException(SAMPLES_DRIFT_MAX + " must be >= 0");
        }
        if (modelMaxLoaded() < 3) {
            throw new IllegalArgumentException(
                    MODEL_MAX_LOADED + " must be at least 3 (production, canary and shadow)");
        }
        if (modelVersion() != null && registryRoot() == null) {
            throw new IllegalArgumentException(
                    MODEL_VERSION + " names a registry version: set " + REGISTRY_ROOT + " too");
        }
        if (modelVersion() == null && modelPath() == null) {
            throw new IllegalArgumentException(
                    "set " + MODEL_PATH + ", or " + REGISTRY_ROOT + " and " + MODEL_VERSION);
        }
        oneOf(DELIVERY, "exactly-once", "at-least-once");
        if (!startingOffsets().matches("timestamp:\\d+")) {
            oneOf(STARTING_OFFSETS, "earliest", "latest", "committed", "timestamp:<epoch-ms>");
        }
        oneOf(BOUNDED, "true", "false");
        oneOf(ROUTING_RESTORE, "true", "false");
        oneOf(CONTROL_DECISIONS, "true", "false");
        positive(DEAD_LETTERS_MAX_VALUE_BYTES);
        positive(OUTPUT_MAX_RECORD_BYTES);
        positive(LABELS_MAX_BYTES);
        positive(CONTROL_MAX_BYTES);
        if (controlDecisions() && controlMaxBytes() < MIN_CONTROL_MAX_BYTES) {
            throw new IllegalArgumentException(
                    CONTROL_MAX_BYTES
                            + " must be at least "
                            + MIN_CONTROL_MAX_BYTES
                            + " while "
                            + CONTROL_DECISIONS
                            + " is true: the job's own canary decisions take up to that much");
        }
        positive(CONTROL_MAX_PENDING);
        if (controlMaxAgeMs() < 0) {
            throw new IllegalArgumentException(CONTROL_MAX_AGE_MS + " must be >= 0 (0: no limit)");
        }
        if (controlTrustedKeys() != null && controlMaxAgeMs() == 0) {
            throw new IllegalArgumentException(
                    "with "
                            + CONTROL_TRUSTED_KEYS
                            + " set "
                            + CONTROL_MAX_AGE_MS
                            + " too (e.g. 300000): without an age limit a signed command could be"
                            + " sent again once its id is forgotten");
        }
        positive(REVIEW_TIMESTAMP_MAX_AGE_MS);
        positive(RESTART_INTERVAL_MS);
        if (restartMaxFailures() < 0) {
            throw new IllegalArgumentException(RESTART_MAX_FAILURES + " must be >= 0");
        }
        if (restartDelayMs() < 0) {
            throw new IllegalArgumentException(RESTART_DELAY_MS + " must be >= 0");
        }
        if (!(labelsJoinFraction() >= 0 && labelsJoinFraction() <= 1)) {
            throw new IllegalArgumentException(LABELS_JOIN_FRACTION + " must be in [0, 1]");
        }
        oneOf(STATE_BACKEND, "hashmap", "rocksdb");
        // Every record the job writes must fit in one producer request: a dead letter's value is
        // base64 (4/3 of its bytes), a sample carries its review's text, JSON-escaped.
        long deadLetter = 4L * deadLetterMaxValueBytes() / 3 + RECORD_OVERHEAD_BYTES;
        if (deadLetter > outputMaxRecordBytes()) {
            throw new IllegalArgumentException(
                    DEAD_LETTERS_MAX_VALUE_BYTES
                            + " "
                            + deadLetterMaxValueBytes()
                            + " makes dead letters of up to "
                            + deadLetter
                            + " bytes, more than "
                            + OUTPUT_MAX_RECORD_BYTES
                            + " "
                            + outputMaxRecordBytes());
        }
    }

    private void positive(String key) {
        if (longValue(key) <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + values.get(key));
        }
    }

    private void oneOf(String key, String... allowed) {
        String value = values.get(key);
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw new IllegalArgumentException(
                key + " must be one of " + String.join("|", allowed) + ", got '" + value + "'");
    }

    private long longValue(String key) {
        try {
            return Long.parseLong(values.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    key + " must be a number, got '" + values.get(key) + "'");
        }
    }

    private double doubleValue(String key) {
        try {
            return Double.parseDouble(values.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    key + " must be a number, got '" + values.get(key) + "'");
        }
    }

    /** The most bytes of an input record a dead letter keeps; longer ones are cut. */
    public int deadLetterMaxValueBytes() {
        return (int) longValue(DEAD_LETTERS_MAX_VALUE_BYTES);
    }

    /**
     * The largest record the job writes: every sink's producer {@code max.request.size}. The output
     * topics' {@code max.message.bytes} must be at least this (checked at start).
     */
    public int outputMaxRecordBytes() {
        return (int) longValue(OUTPUT_MAX_RECORD_BYTES);
    }

    /** Label records larger than this are dead-lettered unread. */
    public int labelsMaxBytes() {
        return (int) longValue(LABELS_MAX_BYTES);
    }

    /**
     * The share of unlabelled predictions (chosen by a hash of the review id) that wait for a
     * label, besides the reviews sent to review-samples, which always do.
     */
    public double labelsJoinFraction() {
        return doubleValue(LABELS_JOIN_FRACTION);
    }

    /** Control records larger than this are dead-lettered unread. */
    public int controlMaxBytes() {
        return (int) longValue(CONTROL_MAX_BYTES);
    }

    /**
     * Public keys ({@code .pub} files, or directories of them, comma-separated) whose signatures
     * make a control command trusted; null: every well-formed command is applied.
     */
    public String controlTrustedKeys() {
        return blankToNull(values.get(CONTROL_TRUSTED_KEYS));
    }

    /**
     * The job's own Ed25519 private key ({@code NAME.key}, {@code NAME.pub} beside it), with which
     * it signs its automatic canary decisions; null: they go unsigned. Needed, and its public key
     * among {@code control.trusted-keys}, for {@code control canary --auto} where commands must be
     * signed.
     */
    public String controlSignKey() {
        return blankToNull(values.get(CONTROL_SIGN_KEY));
    }

    /**
     * Whether the job carries out automatic canary analyses ({@code control canary --auto}),
     * writing its decisions to the control topic; false refuses such canaries, and its Kafka
     * principal needs no Write on that topic.
     */
    public boolean controlDecisions() {
        return Boolean.parseBoolean(values.get(CONTROL_DECISIONS));
    }

    /** The most a command's arrival may lag its {@code issuedAt}; 0: no limit. */
    public long controlMaxAgeMs() {
        return longValue(CONTROL_MAX_AGE_MS);
    }

    /**
     * Public keys one of which must have signed a model version for it to be served; null: any
     * version whose files match its manifest.
     */
    public String registryTrustedKeys() {
        return blankToNull(values.get(REGISTRY_TRUSTED_KEYS));
    }

    /** The most control commands waiting to apply per subtask; more are refused. */
    public int controlMaxPending() {
        return (int) longValue(CONTROL_MAX_PENDING);
    }

    /**
     * On a topic with producer (CreateTime) timestamps: a timestamp older than this, or in the
     * future, is not believed; latency is then measured from when the job read the review.
     */
    public long reviewTimestampMaxAgeMs() {
        return longValue(REVIEW_TIMESTAMP_MAX_AGE_MS);
    }

    /** {@code hashmap} (state on the heap) or {@code rocksdb} (state on local disk). */
    public String stateBackend() {
        return values.get(STATE_BACKEND);
    }

    /**
     * The job fails for good after more failures than this within {@link #restartIntervalMs}; 0: at
     * the first failure.
     */
    public int restartMaxFailures() {
        return (int) longValue(RESTART_MAX_FAILURES);
    }

    public long restartIntervalMs() {
        return longValue(RESTART_INTERVAL_MS);
    }

    public long restartDelayMs() {
        return longValue(RESTART_DELAY_MS);
    }

    public String samplesTopic() {
        return values.get(TOPIC_SAMPLES);
    }

    /** The most reviews sampled per model version per drifted window and subtask; 0: none. */
    public int samplesDriftMax() {
        return (int) longValue(SAMPLES_DRIFT_MAX);
    }

    /** Reviews scored within this of 0.5 are sampled for labelling; 0 samples none. */
    public double samplesBand() {
        return doubleValue(SAMPLES_BAND);
    }

    public String labelsTopic() {
        return values.get(TOPIC_LABELS);
    }

    public long labelsTtlMs() {
        return longValue(LABELS_TTL_MS);
    }

    public String healthTopic() {
        return values.get(TOPIC_HEALTH);
    }

    public long healthWindowMs() {
        return longValue(HEALTH_WINDOW_MS);
    }

    public double healthDriftThreshold() {
        return doubleValue(HEALTH_DRIFT_THRESHOLD);
    }

    public double healthErrorRateThreshold() {
        return doubleValue(HEALTH_ERROR_RATE_THRESHOLD);
    }

    public long healthP99ThresholdMs() {
        return longValue(HEALTH_P99_THRESHOLD_MS);
    }

    /**
     * The alert {@code estimated-accuracy} fires when a window's estimated accuracy falls more than
     * this below the model's validation accuracy.
     */
    public double healthEstimatedAccuracyDrop() {
        return doubleValue(HEALTH_ESTIMATED_ACCURACY_DROP);
    }

    public String get(String key) {
        return values.get(key);
    }

    public String bootstrapServers() {
        return values.get(BOOTSTRAP_SERVERS);
    }

    public String reviewsTopic() {
        return values.get(TOPIC_REVIEWS);
    }

    public String sentimentsTopic() {
        return values.get(TOPIC_SENTIMENTS);
    }

    public String deadLettersTopic() {
        return values.get(TOPIC_DEAD_LETTERS);
    }

    public String groupId() {
        return values.get(GROUP_ID);
    }

    public String startingOffsets() {
        return values.get(STARTING_OFFSETS);
    }

    public boolean bounded() {
        return Boolean.parseBoolean(values.get(BOUNDED));
    }

    /** The starting model's directory; null when empty. */
    public String modelPath() {
        return blankToNull(values.get(MODEL_PATH));
    }

    /**
     * {@code name@version} of the registry version to start with; null when empty. Takes precedence
     * over {@link #modelPath()}.
     */
    public String modelVersion() {
        return blankToNull(values.get(MODEL_VERSION));
    }

    /** The model registry's root directory; null when the job has none. */
    public String registryRoot() {
        return blankToNull(values.get(REGISTRY_ROOT));
    }

    /** Most model versions resident per scoring subtask. */
    public int modelMaxLoaded() {
        return (int) longValue(MODEL_MAX_LOADED);
    }

    public String controlTopic() {
        return values.get(TOPIC_CONTROL);
    }

    /**
     * The compacted topic where the job records the routing it applied ({@code model-routing.v1}).
     */
    public String routingTopic() {
        return values.get(TOPIC_ROUTING);
    }

    /**
     * Whether a fresh start (no checkpoint or savepoint) restores the routing last recorded on
     * {@link #routingTopic()} and reads only the commands after it.
     */
    public boolean routingRestore() {
        return Boolean.parseBoolean(values.get(ROUTING_RESTORE));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    public String device() {
        return values.get(DEVICE);
    }

    /** Intra-op threads for scoring on the CPU; 0 leaves DJL's default. */
    public int deviceThreads() {
        return (int) longValue(DEVICE_THREADS);
    }

    public int batchMaxSize() {
        return (int) longValue(BATCH_MAX_SIZE);
    }

    /**
     * 0 (the default): adaptive batching, a batch leaves as soon as the scorer is free; else a
     * lower bound on fill, as a queue leaves only when full or when its oldest review waited this
     * long.
     */
    public long batchMaxDelayMs() {
        return longValue(BATCH_MAX_DELAY_MS);
    }

    /**
     * The longest a review waits in a network buffer that is not full between parsing and scoring
     * (Flink's buffer timeout for that edge; its default of 100 ms would add up to 100 ms to every
     * review at low load). The job's other edges keep the cluster's {@code
     * execution.buffer-timeout.interval}.
     */
    public long networkBufferTimeoutMs() {
        return longValue(NETWORK_BUFFER_TIMEOUT_MS);
    }

    /**
     * Under a backlog, the most waiting batches of one version and length class sorted together by
     * length, so that each is padded little (8 by default; 0 or 1 keeps arrival order). A window
     * also holds no more than {@link #batchMaxPending()} reviews: beyond 8, raise that too.
     */
    public int batchSortWindow() {
        return (int) longValue(BATCH_SORT_WINDOW);
    }

    /**
     * While a scoring subtask's scorer spent over half of the last second scoring (until it spends
     * under a quarter), a queue waits up to this long for company unless it is full: small calls
     * cost the model far more per review, so a loaded scorer that takes whatever waits keeps itself
     * loaded. {@link #DEFAULT_LOAD_DELAY_MS} by default; 0 never waits. At light load it does not
     * apply.
     */
    public long batchLoadDelayMs() {
        return longValue(BATCH_LOAD_DELAY_MS);
    }

    /**
     * The most reviews waiting to be scored per subtask before the input blocks; 0 (the default)
     * means 8 × {@link #batchMaxSize()} (room for a full batch in most length classes).
     */
    public int batchMaxPending() {
        int configured = (int) longValue(BATCH_MAX_PENDING);
        return configured == 0 ? 8 * batchMaxSize() : configured;
    }

    public int reviewMaxBytes() {
        return (int) longValue(REVIEW_MAX_BYTES);
    }

    /** 0 means the environment's default. */
    public int parallelism() {
        return (int) longValue(PARALLELISM);
    }

    public boolean exactlyOnce() {
        return "exactly-once".equals(values.get(DELIVERY));
    }

    public long checkpointIntervalMs() {
        return longValue(CHECKPOINT_INTERVAL_MS);
    }

    public String transactionalIdPrefix() {
        return values.get(TRANSACTIONAL_ID_PREFIX);
    }

    /** The {@code kafka.*} pass-through settings, prefix removed, for every Kafka client. */
    public Properties kafkaProperties() {
        Properties properties = new Properties();
        values.forEach(
                (key, value) -> {
                    if (key.startsWith(KAFKA_PREFIX)) {
                        properties.setProperty(key.substring(KAFKA_PREFIX.length()), value);
                    }
                });
        return properties;
    }

    /** The configuration for logs: every {@code kafka.*} value that could be a secret is masked. */
    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        values.forEach(
                (key, value) ->
                        shown.put(
                                key,
                                key.startsWith(KAFKA_PREFIX) && isSecret(key) ? "******" : value));
        return "JobConfig" + shown;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password")
                || k.contains("jaas")
                || k.contains("secret")
                || k.contains("key");
    }
}
