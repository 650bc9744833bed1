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
 * @param maxTextBytes the largest review accepted, in bytes of its {@code review.v1} record (the
 *     job's {@code review.max-bytes}; the text itself a little less)
 * @param healthHistory how far back the dashboard's charts start when the console starts
 * @param bind the address to listen on; {@code 127.0.0.1} keeps the console to this machine
 * @param token the bearer token the API and the event stream require; null: none
 * @param threads HTTP worker threads (each event-stream client holds one)
 * @param maxEventClients event-stream clients at once; more get 503
 * @param allowedHosts host names (besides localhost, 127.0.0.1 and [::1]) the console answers to in
 *     the {@code Host} header, e.g. the name a proxy gives it; any other is refused (no DNS
 *     rebinding)
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
        Duration healthHistory,
        String bind,
        String token,
        int threads,
        int maxEventClients,
        java.util.List<String> allowedHosts) {

    /** The loopback address the console binds unless told otherwise. */
    public static final String LOOPBACK = "127.0.0.1";

    public ConsoleSettings {
        if (threads < 2 || maxEventClients < 1 || maxEventClients >= threads) {
            throw new IllegalArgumentException(
                    "the console needs at least one worker thread more than event-stream clients");
        }
        allowedHosts =
                allowedHosts == null ? java.util.List.of() : java.util.List.copyOf(allowedHosts);
        if (token != null && token.length() < 16) {
            throw new IllegalArgumentException("a console token has at least 16 characters");
        }
    }

    /**
     * The job's default topics, a 5 s answer bound, 100 kB of text, 5 minutes of history, bound to
     * the loopback address without a token, 16 worker threads and 8 event-stream clients.
     */
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
                Duration.ofMinutes(5),
                LOOPBACK,
                null,
                16,
                8,
                java.util.List.of());
    }

    public ConsoleSettings withClientProperties(Properties properties) {
        Copy copy = new Copy(this);
        copy.clientProperties = properties;
        return copy.build();
    }

    public ConsoleSettings withTopics(String reviews, String sentiments, String health) {
        Copy copy = new Copy(this);
        copy.reviewsTopic = reviews;
        copy.sentimentsTopic = sentiments;
        copy.healthTopic = health;
        return copy.build();
    }

    public ConsoleSettings withAnswerTimeout(Duration timeout) {
        Copy copy = new Copy(this);
        copy.answerTimeout = timeout;
        return copy.build();
    }

    /** Listen on {@code address} (e.g. {@code 0.0.0.0} for every interface). */
    public ConsoleSettings withBind(String address) {
        Copy copy = new Copy(this);
        copy.bind = address;
        return copy.build();
    }

    /** Require {@code Authorization: Bearer <token>} on the API and the event stream. */
    public ConsoleSettings withToken(String bearer) {
        Copy copy = new Copy(this);
        copy.token = bearer;
        return copy.build();
    }

    /** {@code workers} threads, {@code eventClients} event-stream clients at most. */
    public ConsoleSettings withLimits(int workers, int eventClients) {
        Copy copy = new Copy(this);
        copy.threads = workers;
        copy.maxEventClients = eventClients;
        return copy.build();
    }

    /** Also answer to these host names (e.g. the one a reverse proxy or DNS gives the console). */
    public ConsoleSettings withAllowedHosts(java.util.List<String> hosts) {
        Copy copy = new Copy(this);
        copy.allowedHosts = hosts;
        return copy.build();
    }

    /** A mutable copy of every field, so each {@code with…} names only what it changes. */
    private static final class Copy {
        private String bootstrapServers;
        private Properties clientProperties;
        private String reviewsTopic;
        private String sentimentsTopic;
        private String healthTopic;
        private int port;
        private Duration answerTimeout;
        private int maxTextBytes;
        private Duration healthHistory;
        private String bind;
        private String token;
        private int threads;
        private int maxEventClients;
        private java.util.List<String> allowedHosts;

        Copy(ConsoleSettings s) {
            bootstrapServers = s.bootstrapServers;
            clientProperties = s.clientProperties;
            reviewsTopic = s.reviewsTopic;
            sentimentsTopic = s.sentimentsTopic;
            healthTopic = s.healthTopic;
            port = s.port;
            answerTimeout = s.answerTimeout;
            maxTextBytes = s.maxTextBytes;
            healthHistory = s.healthHistory;
            bind = s.bind;
            token = s.token;
            threads = s.threads;
            maxEventClients = s.maxEventClients;
            allowedHosts = s.allowedHosts;
        }

        ConsoleSettings build() {
            return new ConsoleSettings(
                    bootstrapServers,
                    clientProperties,
                    reviewsTopic,
                    sentimentsTopic,
                    healthTopic,
                    port,
                    answerTimeout,
                    maxTextBytes,
                    healthHistory,
                    bind,
                    token,
                    threads,
                    maxEventClients,
                    allowedHosts);
        }
    }

    /** Names no secret: neither the token nor the Kafka client properties (SASL passwords). */
    @Override
    public String toString() {
        return "ConsoleSettings[bootstrapServers="
                + bootstrapServers
                + ", bind="
                + bind
                + ", port="
                + port
                + ", token="
                + (token == null ? "none" : "set")
                + "]";
    }
}
