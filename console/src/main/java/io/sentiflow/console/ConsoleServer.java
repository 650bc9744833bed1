package io.sentiflow.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Review;
import io.sentiflow.schemas.Sentiment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The web console on the JDK's own HTTP server ({@code com.sun.net.httpserver}), with server-sent
 * events for the live dashboard: no web framework, nothing to keep in step with Flink's or Kafka's
 * dependencies.
 *
 * <ul>
 *   <li>{@code GET /} — the page: a text box that classifies a review, a live feed of sentiments,
 *       charts of throughput, latency, positive rate and drift per model version, and the routing.
 *   <li>{@code POST /api/reviews} {@code {"text": ...}} — publishes a {@code review.v1} with a
 *       fresh id to the reviews topic and waits (bounded) for its sentiment: 200 with label, score,
 *       model version and latency; 400 for bad JSON or empty text; 413 for text over the limit; 504
 *       when the job does not answer in time; 503 when Kafka refuses the review.
 *   <li>{@code GET /api/events} — server-sent events {@code sentiment} and {@code health}.
 *   <li>{@code GET /healthz} — 200 while the console runs.
 * </ul>
 *
 * <p>Review text is never logged.
 */
public final class ConsoleServer implements AutoCloseable {
    private static final byte[] PAGE = resource("/sentiflow/console/index.html");
    private static final long HEARTBEAT_MS = 10_000;

    private final ConsoleSettings settings;
    private final EventHub hub = new EventHub();
    private final TopicFeed feed;
    private final KafkaProducer<byte[], byte[]> producer;
    private final HttpServer server;
    private final ExecutorService executor;
    private volatile boolean closing;

    private ConsoleServer(ConsoleSettings settings) throws IOException {
        this.settings = settings;
        // The port first: when it is taken, nothing else has been opened yet.
        this.server = HttpServer.create(new InetSocketAddress(settings.port()), 64);
        this.feed = new TopicFeed(settings, hub);
        Properties props = new Properties();
        props.putAll(settings.clientProperties());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        this.producer = new KafkaProducer<>(props);
        this.executor =
                Executors.newCachedThreadPool(
                        runnable -> {
                            Thread thread = new Thread(runnable, "sentiflow-console-http");
                            thread.setDaemon(true);
                            return thread;
                        });
        server.setExecutor(executor);
        server.createContext("/", this::page);
        server.createContext("/api/reviews", this::classify);
        server.createContext("/api/events", this::events);
        server.createContext("/healthz", exchange -> send(exchange, 200, Map.of("status", "ok")));
    }

    /** Starts the console: connects to Kafka, then serves. */
    public static ConsoleServer start(ConsoleSettings settings) throws Exception {
        ConsoleServer console = new ConsoleServer(settings);
        try {
            console.feed.start();
            console.server.start();
        } catch (Exception e) {
            console.close();
            throw e;
        }
        return console;
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://localhost:<port>/}. */
    public URI address() {
        return URI.create("http://localhost:" + port() + "/");
    }

    private void page(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/") && !path.equals("/index.html")) {
                send(exchange, 404, Map.of("error", "no such page: " + path));
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                send(exchange, 405, Map.of("error", "use GET"));
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, PAGE.length);
            exchange.getResponseBody().write(PAGE);
        }
    }

    private void classify(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                send(exchange, 405, Map.of("error", "use POST with {\"text\": \"...\"}"));
                return;
            }
            byte[] body = readAtMost(exchange.getRequestBody(), settings.maxTextBytes() * 6 + 1024);
            if (body == null) {
                send(exchange, 413, Map.of("error", "request body too large"));
                return;
            }
            JsonNode request;
            try {
                request = Json.mapper().readTree(body);
            } catch (JsonProcessingException e) {
                send(
                        exchange,
                        400,
                        Map.of("error", "the body is not JSON: " + e.getOriginalMessage()));
                return;
            }
            JsonNode text = request == null ? null : request.get("text");
            if (request == null || !request.isObject() || text == null || !text.isTextual()) {
                send(
                        exchange,
                        400,
                        Map.of("error", "expected a JSON object with a string \"text\""));
                return;
            }
            if (text.textValue().isBlank()) {
                send(exchange, 400, Map.of("error", "the review text is empty"));
                return;
            }
            int bytes = text.textValue().getBytes(StandardCharsets.UTF_8).length;
            if (bytes > settings.maxTextBytes()) {
                send(
                        exchange,
                        413,
                        Map.of(
                                "error",
                                "the review text has "
                                        + bytes
                                        + " bytes; at most "
                                        + settings.maxTextBytes()
                                        + " are accepted"));
                return;
            }
            answer(exchange, text.textValue());
        }
    }

    private void answer(HttpExchange exchange, String text) throws IOException {
        String id = "console-" + UUID.randomUUID();
        long start = System.nanoTime();
        CompletableFuture<Sentiment> answer = feed.expect(id);
        try {
            producer.send(
                            new ProducerRecord<>(
                                    settings.reviewsTopic(),
                                    id.getBytes(StandardCharsets.UTF_8),
                                    Json.toBytes(
                                            new Review(
                                                    id,
                                                    text,
                                                    null,
                                                    "console",
                                                    System.currentTimeMillis()))))
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            feed.forget(id);
            send(
                    exchange,
                    503,
                    Map.of("error", "Kafka did not take the review: " + e.getMessage()));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            feed.forget(id);
            send(exchange, 503, Map.of("error", "interrupted"));
            return;
        }
        Sentiment sentiment;
        try {
            sentiment = answer.get(settings.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            feed.forget(id);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put(
                    "error",
                    "no sentiment within "
                            + settings.answerTimeout().toMillis()
                            + " ms: is the job running?");
            body.put("reviewId", id);
            send(exchange, 504, body);
            return;
        } catch (InterruptedException | ExecutionException e) {
            feed.forget(id);
            send(exchange, 503, Map.of("error", "interrupted"));
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reviewId", id);
        body.put("label", sentiment.label());
        body.put("score", sentiment.score());
        body.put("modelVersion", sentiment.modelVersion());
        body.put("latencyMs", (System.nanoTime() - start) / 1_000_000);
        body.put("jobLatencyMs", sentiment.latencyMs());
        send(exchange, 200, body);
    }

    private void events(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, 0);
            BlockingQueue<EventHub.Event> queue = hub.subscribe();
            OutputStream out = exchange.getResponseBody();
            try {
                out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                while (!closing) {
                    EventHub.Event event = queue.poll(HEARTBEAT_MS, TimeUnit.MILLISECONDS);
                    String frame =
                            event == null
                                    ? ": keep-alive\n\n"
                                    : "event: " + event.type() + "\ndata: " + event.json() + "\n\n";
                    out.write(frame.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException e) {
                // the page went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                hub.unsubscribe(queue);
            }
        }
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] bytes = in.readNBytes(limit + 1);
        return bytes.length > limit ? null : bytes;
    }

    private static void send(HttpExchange exchange, int status, Map<String, ?> body)
            throws IOException {
        byte[] json = Json.toBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, json.length);
        exchange.getResponseBody().write(json);
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConsoleServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closing = true;
        server.stop(0);
        executor.shutdownNow();
        try {
            feed.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(java.time.Duration.ofSeconds(2));
    }
}
