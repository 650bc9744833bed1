package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Sentiment;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Reviews from Kafka → parse → tokenize → score in micro-batches → sentiments to Kafka; anything
 * that cannot be scored goes to the dead-letter topic.
 *
 * <p>The source and sinks are passed in, so tests and the local demo run the very graph that {@link
 * #main} submits to a cluster.
 */
public final class SentimentJob {
    private final JobConfig config;
    private final Source<KafkaRecord, ?, ?> source;
    private final Sink<Sentiment> sentiments;
    private final Sink<DeadLetter> deadLetters;

    public SentimentJob(
            JobConfig config,
            Source<KafkaRecord, ?, ?> source,
            Sink<Sentiment> sentiments,
            Sink<DeadLetter> deadLetters) {
        this.config = config;
        this.source = source;
        this.sentiments = sentiments;
        this.deadLetters = deadLetters;
    }

    /** The job with the production Kafka source and sinks described by {@code config}. */
    public static SentimentJob fromConfig(JobConfig config) {
        return new SentimentJob(
                config,
                KafkaIo.reviewSource(config),
                KafkaIo.sentimentSink(config),
                KafkaIo.deadLetterSink(config));
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

        SingleOutputStreamOperator<ParsedReview> parsed =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "reviews")
                        .uid("reviews-source")
                        .process(new ParseReview(config.reviewMaxBytes()))
                        .uid("parse-review")
                        .name("ParseReview");
        SingleOutputStreamOperator<TokenizedReview> tokenized =
                parsed.process(new TokenizeReview(config.modelPath()))
                        .uid("tokenize-review")
                        .name("TokenizeReview");
        SingleOutputStreamOperator<Sentiment> scored =
                tokenized
                        .transform(
                                "ScoreBatch",
                                TypeInformation.of(Sentiment.class),
                                new ScoreBatch(
                                        config.modelPath(),
                                        config.device(),
                                        config.batchMaxSize(),
                                        config.batchMaxDelayMs(),
                                        config.deviceThreads()))
                        .uid("score-batch");

        scored.sinkTo(sentiments).uid("sentiments-sink").name("sentiments");
        DataStream<DeadLetter> rejected =
                parsed.getSideOutput(DeadLetters.TAG)
                        .union(
                                tokenized.getSideOutput(DeadLetters.TAG),
                                scored.getSideOutput(DeadLetters.TAG));
        rejected.map(new CountDeadLetters())
                .uid("count-dead-letters")
                .name("CountDeadLetters")
                .sinkTo(deadLetters)
                .uid("dead-letters-sink")
                .name("dead-letters");
    }
}
