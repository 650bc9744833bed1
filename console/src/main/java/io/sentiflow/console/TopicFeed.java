package io.sentiflow.console;

import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Sentiment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the sentiments and model-health topics (read_committed) on one thread: completes the
 * answers {@code POST /api/reviews} waits for, and feeds the dashboard. Sentiments are read from
 * the end of the topic at start; health from {@code healthHistory} ago, so charts are not empty.
 */
final class TopicFeed implements AutoCloseable {
    private final ConsoleSettings settings;
    private final EventHub hub;
    private final Map<String, CompletableFuture<Sentiment>> waiting = new ConcurrentHashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch positioned = new CountDownLatch(1);
    private volatile boolean running = true;

    TopicFeed(ConsoleSettings settings, EventHub hub) {
        this.settings = settings;
        this.hub = hub;
        Properties props = new Properties();
        props.putAll(settings.clientProperties());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer = new KafkaConsumer<>(props);
        thread = new Thread(this::run, "sentiflow-console-feed");
        thread.setDaemon(true);
    }

    /** Starts reading, and returns once the consumer is positioned. */
    void start() throws InterruptedException {
        thread.start();
        if (!positioned.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                    "the console could not reach Kafka at "
                            + settings.bootstrapServers()
                            + " within 60 s");
        }
    }

    /** The future sentiment of a review about to be published. */
    CompletableFuture<Sentiment> expect(String reviewId) {
        CompletableFuture<Sentiment> answer = new CompletableFuture<>();
        waiting.put(reviewId, answer);
        return answer;
    }

    /** Whether the feed still reads its topics. */
    boolean alive() {
        return thread.isAlive() && running;
    }

    void forget(String reviewId) {
        waiting.remove(reviewId);
    }

    private void run() {
        try {
            position();
            positioned.countDown();
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(200))) {
                    handle(record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (running) {
                System.err.println("console: the topic feed stopped: " + e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void position() {
        List<TopicPartition> sentiments = partitions(settings.sentimentsTopic());
        List<TopicPartition> health = partitions(settings.healthTopic());
        List<TopicPartition> all = new ArrayList<>(sentiments);
        all.addAll(health);
        consumer.assign(all);
        consumer.seekToEnd(sentiments);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = System.currentTimeMillis() - settings.healthHistory().toMillis();
        health.forEach(p -> since.put(p, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(since);
        for (TopicPartition partition : health) {
            OffsetAndTimestamp offset = offsets.get(partition);
            if (offset == null) {
                consumer.seekToEnd(List.of(partition));
            } else {
                consumer.seek(partition, offset.offset());
            }
        }
        // Resolve the positions now, so a review published after start() is never missed.
        all.forEach(consumer::position);
    }

    private List<TopicPartition> partitions(String topic) {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return;
        }
        try {
            if (record.topic().equals(settings.sentimentsTopic())) {
                Sentiment sentiment = Json.sentiment(record.value());
                CompletableFuture<Sentiment> answer = waiting.remove(sentiment.reviewId());
                if (answer != null) {
                    answer.complete(sentiment);
                }
                hub.publish(new EventHub.Event("sentiment", Json.toString(sentiment)));
            } else {
                hub.publish(
                        new EventHub.Event(
                                "health", Json.toString(Json.modelHealth(record.value()))));
            }
        } catch (ContractViolation e) {
            // Not ours to judge: the dashboard shows only what parses.
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5_000);
    }
}
