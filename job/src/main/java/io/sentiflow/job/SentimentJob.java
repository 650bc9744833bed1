package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.ModelControl;
import io.sentiflow.schemas.ModelHealth;
import io.sentiflow.schemas.ModelRouting;
import io.sentiflow.schemas.ReviewLabel;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
import java.time.Duration;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Reviews from Kafka → parse → tokenize → route to a model version and score in micro-batches →
 * sentiments to Kafka; anything that cannot be scored goes to the dead-letter topic. Commands on
 * the model-control topic change the routing while the job runs.
 *
 * <p>The source and sinks are passed in, so tests and the local demo run the very graph that {@link
 * #main} submits to a cluster.
 */
public final class SentimentJob {
    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(SentimentJob.class);

    private final JobConfig config;
    private final Source<KafkaRecord, ?, ?> source;
    private final Source<KafkaRecord, ?, ?> labels;
    private final Source<KafkaRecord, ?, ?> control;
    private final Sink<Sentiment> sentiments;
    private final Sink<DeadLetter> deadLetters;
    private final Sink<ModelHealth> health;
    private final Sink<ReviewSample> samples;
    private Sink<ModelRouting> routing;
    private ModelRouting restoredRouting;
    private Sink<ModelControl> decisions;

    public SentimentJob(
            JobConfig config,
            Source<KafkaRecord, ?, ?> source,
            Source<KafkaRecord, ?, ?> labels,
            Source<KafkaRecord, ?, ?> control,
            Sink<Sentiment> sentiments,
            Sink<DeadLetter> deadLetters,
            Sink<ModelHealth> health,
            Sink<ReviewSample> samples) {
        this.config = config;
        this.source = source;
        this.labels = labels;
        this.control = control;
        this.sentiments = sentiments;
        this.deadLetters = deadLetters;
        this.health = health;
        this.samples = samples;
    }

    /**
     * The job with the production Kafka source and sinks described by {@code config}, after
     * checking that its topics exist and take its largest records: a missing topic fails here,
     * once, with what to do, instead of a restart loop in the running job.
     */
    public static SentimentJob fromConfig(JobConfig config) {
        TopicCheck.requireTopics(config);
        // A fresh start continues from the routing a previous run recorded (a restore from a
        // checkpoint or savepoint keeps its own, and its source offsets, instead).
        ModelRouting restored = config.routingRestore() ? RoutingLog.last(config) : null;
        if (restored != null) {
            LOG.info(
                    "a fresh start continues from the routing recorded on {}: production {},"
                            + " canary {}, shadow {}; commands after {}-{}@{} follow",
                    config.routingTopic(),
                    restored.production(),
                    restored.canary(),
                    restored.shadow(),
                    restored.controlTopic(),
                    restored.controlPartition(),
                    restored.controlOffset());
        }
        return new SentimentJob(
                        config,
                        KafkaIo.reviewSource(config),
                        KafkaIo.labelSource(config),
                        KafkaIo.controlSource(config, restored),
                        KafkaIo.sentimentSink(config),
                        KafkaIo.deadLetterSink(config),
                        KafkaIo.healthSink(config),
                        KafkaIo.sampleSink(config))
                .withRouting(KafkaIo.routingSink(config), restored)
                .withDecisions(config.controlDecisions() ? KafkaIo.controlSink(config) : null);
    }

    /**
     * Sends automatic canary decisions to {@code sink} (the control topic, where they apply like a
     * person's command); without one the job judges canaries but decides nothing.
     */
    public SentimentJob withDecisions(Sink<ModelControl> sink) {
        this.decisions = sink;
        return this;
    }

    /**
     * Records every routing change on {@code sink}, and starts from {@code restored} (null: from
     * the configured model) when no state is restored.
     */
    public SentimentJob withRouting(Sink<ModelRouting> sink, ModelRouting restored) {
        this.routing = sink;
        this.restoredRouting = restored;
        return this;
    }

    private RoutingTable initialRouting() {
        if (restoredRouting == null) {
            return null;
        }
        return new RoutingTable(
                restoredRouting.production(),
                restoredRouting.previous(),
                restoredRouting.canary(),
                restoredRouting.canaryWeight(),
                restoredRouting.shadow(),
                restoredRouting.canaryCommandId(),
                restoredRouting.canaryAnalysis());
    }

    /** Says at start, once, what an unsigned setup trusts. */
    private static void warnWhenOpen(ModelCatalog catalog, CommandTrust commands) {
        if (!catalog.requiresSignatures()) {
            LOG.warn(
                    "{} is not set: any model version whose files match its manifest is served,"
                            + " signed or not",
                    JobConfig.REGISTRY_TRUSTED_KEYS);
        }
        if (!commands.requiresSignatures()) {
            LOG.warn(
                    "{} is not set: anyone who can write the control topic changes what is served",
                    JobConfig.CONTROL_TRUSTED_KEYS);
        }
    }

    public static void main(String[] args) throws Exception {
        JobConfig config = JobConfig.fromArgs(args);
        fromConfig(config).execute(StreamExecutionEnvironment.getExecutionEnvironment());
    }

    /** Configures the environment, builds the graph and runs it until it ends. */
    public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
        defineWorkflow(env);
        return env.execute("sentiflow");
    }

    /** Configures the environment, builds the graph and submits it without waiting. */
    public JobClient executeAsync(StreamExecutionEnvironment env) throws Exception {
        defineWorkflow(env);
        return env.executeAsync("sentiflow");
    }

    /** Adds the job's graph (and its checkpointing settings) to {@code env}. */
    public void defineWorkflow(StreamExecutionEnvironment env) {
        if (config.parallelism() > 0) {
            env.setParallelism(config.parallelism());
        }
        // Exactly-once output needs checkpoints: the Kafka sink commits its transactions on them.
        env.enableCheckpointing(config.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
        env.configure(runtimeSettings(config));
        DeadLetters rejections = DeadLetters.of(config);

        SingleOutputStreamOperator<ParsedReview> parsed =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "reviews")
                        .uid("reviews-source")
                        .process(new ParseReview(config.reviewMaxBytes(), rejections))
                        .uid("parse-review")
                        .name("ParseReview")
                        // The edge every review takes (and ParseReview's dead letters): a partly
                        // filled buffer leaves after this long, so a review at low load does not
                        // wait Flink's 100 ms. The job's other edges (health, labels, routing, the
                        // other dead letters) keep the cluster's timeout: each has a flusher
                        // thread, and waking ~26 of them every 5 ms cost ~8 % of a core whatever
                        // the load.
                        .setBufferTimeout(config.networkBufferTimeoutMs());
        // Routing commands reach every scoring subtask; the routing table is broadcast state.
        DataStream<KafkaRecord> commands =
                env.fromSource(control, WatermarkStrategy.noWatermarks(), "model-control")
                        .uid("control-source")
                        .setParallelism(1)
                        .broadcast();
        ModelCatalog catalog = ModelCatalog.of(config);
        ScoringSettings scoring = ScoringSettings.of(config);
        warnWhenOpen(catalog, scoring.control().trust());
        SingleOutputStreamOperator<Sentiment> scored =
                parsed.connect(commands)
                        .transform(
                                "ScoreBatch",
                                ContractType.SENTIMENT,
                                new ScoreBatch(catalog, scoring, initialRouting()))
                        .uid("score-batch");
        if (routing != null) {
            scored.getSideOutput(ScoreBatch.ROUTING)
                    .sinkTo(routing)
                    .setParallelism(1)
                    .uid("routing-sink")
                    .name("model-routing");
        }
        scored.sinkTo(sentiments).uid("sentiments-sink").name("sentiments");
        scored.getSideOutput(ScoreBatch.SAMPLES)
                .sinkTo(samples)
                .uid("samples-sink")
                .name("review-samples");

        // True labels from raters; the predictions that can get one wait for it (LabelJoin).
        SingleOutputStreamOperator<ReviewLabel> feedback =
                env.fromSource(labels, WatermarkStrategy.noWatermarks(), "review-labels")
                        .uid("labels-source")
                        .process(new ParseLabel(config.labelsMaxBytes(), rejections))
                        .uid("parse-label")
                        .name("ParseLabel");
        SingleOutputStreamOperator<DeadLetter> rejected =
                parsed.getSideOutput(DeadLetters.TAG)
                        .union(
                                scored.getSideOutput(DeadLetters.TAG),
                                feedback.getSideOutput(DeadLetters.TAG))
                        .map(new CountDeadLetters())
                        .returns(ContractType.DEAD_LETTER)
                        .uid("count-dead-letters")
                        .name("CountDeadLetters");
        rejected.sinkTo(deadLetters).uid("dead-letters-sink").name("dead-letters");

        SingleOutputStreamOperator<LabelledPrediction> joined =
                scored.getSideOutput(ScoreBatch.AWAITING_LABEL)
                        .keyBy(prediction -> prediction.reviewId)
                        .connect(feedback.keyBy(ReviewLabel::reviewId))
                        .process(new JoinLabelFeedback(config.labelsTtlMs(), LabelJoin.of(config)))
                        .uid("join-label-feedback")
                        .name("JoinLabelFeedback");

        // Health: each scoring subtask sends its own window's figures; the rest is rare events.
        DataStream<HealthEvent> healthEvents =
                asHealth(
                                scored.getSideOutput(ScoreBatch.HEALTH),
                                HealthEvent::of,
                                "health-partials",
                                "PartialToHealth")
                        .union(
                                asHealth(
                                        joined,
                                        HealthEvent::of,
                                        "health-feedback",
                                        "FeedbackToHealth"),
                                asHealth(
                                        scored.getSideOutput(ScoreBatch.MODEL_EVENTS),
                                        HealthEvent::of,
                                        "health-model-events",
                                        "ModelEventToHealth"),
                                asHealth(
                                        rejected,
                                        HealthEvent::of,
                                        "health-dead-letters",
                                        "DeadLetterToHealth"));
        SingleOutputStreamOperator<ModelHealth> aggregated =
                healthEvents
                        .transform(
                                "AggregateHealth",
                                ContractType.MODEL_HEALTH,
                                new AggregateHealth(
                                        catalog,
                                        config.healthWindowMs(),
                                        config.healthDriftThreshold(),
                                        config.healthErrorRateThreshold(),
                                        config.healthP99ThresholdMs(),
                                        config.healthEstimatedAccuracyDrop(),
                                        AggregateHealth.Decisions.of(
                                                config, scoring.control().trust())))
                        .setParallelism(1)
                        .uid("aggregate-health");
        if (decisions != null) {
            aggregated
                    .getSideOutput(AggregateHealth.DECISIONS)
                    .sinkTo(decisions)
                    .setParallelism(1)
                    .uid("canary-decisions-sink")
                    .name("canary-decisions");
        }
        aggregated.sinkTo(health).setParallelism(1).uid("health-sink").name("model-health");
    }

    /**
     * What the job sets on Flink for itself: a bounded restart strategy (failure rate), so a
     * failure that repeats — a production model that no longer loads, say — ends the job instead of
     * looping, and the state backend.
     */
    static Configuration runtimeSettings(JobConfig config) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, config.stateBackend());
        // No Kryo anywhere: every type the job ships is a POJO, a basic type or a ContractType.
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        if (config.restartMaxFailures() == 0) {
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            return conf;
        }
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "failure-rate");
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL,
                config.restartMaxFailures());
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL,
                Duration.ofMillis(config.restartIntervalMs()));
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY,
                Duration.ofMillis(config.restartDelayMs()));
        return conf;
    }

    /** One input of the health aggregation, with its stable uid and name. */
    private static <T> DataStream<HealthEvent> asHealth(
            DataStream<T> stream, MapFunction<T, HealthEvent> toEvent, String uid, String name) {
        return stream.map(toEvent)
                .returns(TypeInformation.of(HealthEvent.class))
                .uid(uid)
                .name(name);
    }
}
