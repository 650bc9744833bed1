package io.sentiflow.console;

import java.time.Duration;
import java.util.Properties;

/**
 * What the console needs: where Kafka is, the job's topics, its own port and limits.
 *
 * @param bootstrapServers Kafka brokers
 * @param clientProperties Kafka client settings (security, SASL, SSL), may be empty
 * @param reviewsTopic where typed reviews are published
 * @param sentimentsTopic where their sentiments come back
 * @param healthTopic model-health records for the dashboard
 * @param port HTTP port; 0 picks a free one
 * @param answerTimeout how long {@code POST /api/reviews} waits for a sentiment
 * @param maxTextBytes the longest review text accepted, in UTF-8 bytes
 * @param healthHistory how far back the dashboard's charts start when the console starts
 */
public record ConsoleSettings(
        String bootstrapServers,
        Properties clientProperties,
        String reviewsTopic,
        String sentimentsTopic,
        String healthTopic,
        int port,
        Duration answerTimeout,
        int maxTextBytes,
        Duration healthHistory) {

    /** The job's default topics, a 5 s answer bound, 100 kB of text, 5 minutes of history. */
    public static ConsoleSettings defaults(String bootstrapServers, int port) {
        return new ConsoleSettings(
                bootstrapServers,
                new Properties(),
                "reviews",
                "sentiments",
                "model-health",
                port,
                Duration.ofSeconds(5),
                100_000,
                Duration.ofMinutes(5));
    }

    public ConsoleSettings withClientProperties(Properties properties) {
        return new ConsoleSettings(
                bootstrapServers,
                properties,
                reviewsTopic,
                sentimentsTopic,
                healthTopic,
                port,
                answerTimeout,
                maxTextBytes,
                healthHistory);
    }

    public ConsoleSettings withTopics(String reviews, String sentiments, String health) {
        return new ConsoleSettings(
                bootstrapServers,
                clientProperties,
                reviews,
                sentiments,
                health,
                port,
                answerTimeout,
                maxTextBytes,
                healthHistory);
    }

    public ConsoleSettings withAnswerTimeout(Duration timeout) {
        return new ConsoleSettings(
                bootstrapServers,
                clientProperties,
                reviewsTopic,
                sentimentsTopic,
                healthTopic,
                port,
                timeout,
                maxTextBytes,
                healthHistory);
    }
}
