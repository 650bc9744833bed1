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
 *   <li>{@code GET /healthz} — 200 while the console runs and its topic feed reads; 503 once the
 *       feed has stopped.
 * </ul>
 *
 * <p>Closed by default: it binds {@code 127.0.0.1} unless told otherwise; with a token, {@code
 * /api/*} requires {@code Authorization: Bearer <token>} (compared in constant time); a POST must
 * be {@code application/json} and, when it carries an {@code Origin}, come from the console's own
 * origin (no cross-site requests); on the loopback address the {@code Host} must be a loopback name
 * (no DNS rebinding). Worker threads, queued requests and event-stream clients are bounded, a
 * request must arrive within {@value #MAX_REQUEST_SECONDS} s, error bodies hold no exception text,
 * and every response carries a content security policy, {@code nosniff} and {@code frame-ancestors
 * 'none'}. Review text is never logged.
 */
public final class ConsoleServer implements AutoCloseable {
    private static final byte[] PAGE = resource("/sentiflow/console/index.html");
    private static final long HEARTBEAT_MS = 10_000;

    /** The longest a client may take to send a request's headers and body. */
    static final int MAX_REQUEST_SECONDS = 30;

    /** Requests waiting for a worker; more are refused by closing their connection. */
    static final int MAX_QUEUED_REQUESTS = 256;

    static {
        // Read once by the JDK's HTTP server: a slow client cannot hold a worker forever.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty(
                    "sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQUEST_SECONDS));
        }
    }

    /** The page's one inline script is allowed by its hash; nothing else may run. */
    private static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src '"
                    + inlineScriptHash()
                    + "'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:;"
                    + " base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final ConsoleSettings settings;
    private final EventHub hub = new EventHub();
    private final TopicFeed feed;
    private final KafkaProducer<byte[], byte[]> producer;
    private final HttpServer server;
    private final ExecutorService executor;
    private final java.util.concurrent.atomic.AtomicInteger eventClients =
            new java.util.concurrent.atomic.AtomicInteger();
    private final byte[] token;
    private volatile boolean closing;

    private ConsoleServer(ConsoleSettings settings) throws IOException {
        this.settings = settings;
        // The port first: when it is taken, nothing else has been opened yet.
        this.server =
                HttpServer.create(new InetSocketAddress(settings.bind(), settings.port()), 64);
        this.token =
                settings.token() == null ? null : settings.token().getBytes(StandardCharsets.UTF_8);
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
                new java.util.concurrent.ThreadPoolExecutor(
                        settings.threads(),
                        settings.threads(),
                        60,
                        TimeUnit.SECONDS,
                        new java.util.concurrent.ArrayBlockingQueue<>(MAX_QUEUED_REQUESTS),
                        runnable -> {
                            Thread thread = new Thread(runnable, "sentiflow-console-http");
                            thread.setDaemon(true);
                            return thread;
                        });
        server.setExecutor(executor);
        server.createContext("/", guarded(false, this::page));
        server.createContext("/api/reviews", guarded(true, this::classify));
        server.createContext("/api/events", guarded(true, this::events));
        server.createContext("/healthz", guarded(false, this::health));
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

    /** The address and port it listens on. */
    public InetSocketAddress listening() {
        return server.getAddress();
    }

    /** The feed of the job's topics; for tests that stop it. */
    TopicFeed feed() {
        return feed;
    }

    /** {@code http://localhost:<port>/}. */
    public URI address() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /** A handler behind the checks every request passes: host, token, content type, origin. */
    private com.sun.net.httpserver.HttpHandler guarded(
            boolean api, com.sun.net.httpserver.HttpHandler handler) {
        return exchange -> {
            var headers = exchange.getResponseHeaders();
            headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("X-Frame-Options", "DENY");
            headers.set("Referrer-Policy", "no-referrer");
            String refusal = refusal(exchange, api);
            if (refusal != null) {
                try (exchange) {
                    int status = Integer.parseInt(refusal.substring(0, 3));
                    if (status == 401) {
                        headers.set("WWW-Authenticate", "Bearer realm=\"sentiflow\"");
                    }
                    send(exchange, status, Map.of("error", refusal.substring(4)));
                }
                return;
            }
            handler.handle(exchange);
        };
    }

    /** Why a request is refused, as "STATUS message", or null when it may go on. */
    private String refusal(HttpExchange exchange, boolean api) {
        var request = exchange.getRequestHeaders();
        String host = request.getFirst("Host");
        // Whatever address it listens on (a container's included), the console answers only to
        // its own names: a page on another site that rebinds its name to this address is refused.
        if (!loopbackHost(host) && !allowedHost(host)) {
            return "403 this console answers to localhost and its --allowed-host names only";
        }
        if (api && token != null && !bearerMatches(request.getFirst("Authorization"))) {
            return "401 a valid bearer token is required";
        }
        if (exchange.getRequestMethod().equals("POST")) {
            String type = request.getFirst("Content-Type");
            if (type == null
                    || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
                return "415 send Content-Type: application/json";
            }
            String origin = request.getFirst("Origin");
            if (origin != null && (host == null || !origin.equals("http://" + host))) {
                return "403 cross-origin requests are refused";
            }
        }
        return null;
    }

    /** localhost, 127.0.0.1 or [::1], with or without a port. */
    static boolean loopbackHost(String host) {
        String name = hostName(host);
        return name != null
                && (name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]"));
    }

    private boolean allowedHost(String host) {
        String name = hostName(host);
        return name != null
                && settings.allowedHosts().stream()
                        .anyMatch(
                                allowed -> allowed.toLowerCase(java.util.Locale.ROOT).equals(name));
    }

    /** A Host header's name without its port, lower case; null when absent. */
    private static String hostName(String host) {
        if (host == null) {
            return null;
        }
        int bracket = host.indexOf(']');
        String name = host.startsWith("[") && bracket > 0 ? host.substring(0, bracket + 1) : host;
        int colon = name.startsWith("[") ? -1 : name.lastIndexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        return name.toLowerCase(java.util.Locale.ROOT);
    }

    private boolean bearerMatches(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return java.security.MessageDigest.isEqual(given, token);
    }

    private void health(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (feed.alive()) {
                send(exchange, 200, Map.of("status", "ok"));
            } else {
                send(exchange, 503, Map.of("status", "the topic feed has stopped"));
            }
        }
    }

    private void page(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/") && !path.equals("/index.html")) {
                send(exchange, 404, Map.of("error", "no such page"));
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
                send(exchange, 400, Map.of("error", "the body is not JSON"));
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
            // The record the job will read, as it measures it (review.max-bytes): the text's
            // escapes and the other fields count, so text just under the limit can still be over.
            String id = "console-" + UUID.randomUUID();
            byte[] record =
                    Json.toBytes(
                            new Review(
                                    id,
                                    text.textValue(),
                                    null,
                                    "console",
                                    System.currentTimeMillis()));
            if (record.length > settings.maxTextBytes()) {
                send(
                        exchange,
                        413,
                        Map.of(
                                "error",
                                "the review is "
                                        + record.length
                                        + " bytes as a review.v1 record; the job takes at most "
                                        + settings.maxTextBytes()));
                return;
            }
            answer(exchange, id, record);
        }
    }

    private void answer(HttpExchange exchange, String id, byte[] record) throws IOException {
        long start = System.nanoTime();
        CompletableFuture<Sentiment> answer = feed.expect(id);
        try {
            producer.send(
                            new ProducerRecord<>(
                                    settings.reviewsTopic(),
                                    id.getBytes(StandardCharsets.UTF_8),
                                    record))
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            feed.forget(id);
            send(exchange, 503, Map.of("error", "Kafka did not take the review"));
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
        if (eventClients.incrementAndGet() > settings.maxEventClients()) {
            eventClients.decrementAndGet();
            try (exchange) {
                send(exchange, 503, Map.of("error", "too many event-stream clients"));
            }
            return;
        }
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
        } finally {
            eventClients.decrementAndGet();
        }
    }

    private static String inlineScriptHash() {
        String page = new String(PAGE, StandardCharsets.UTF_8);
        int open = page.indexOf("<script>");
        int close = page.indexOf("</script>");
        if (open < 0 || close < open || page.indexOf("<script", open + 1) >= 0) {
            throw new IllegalStateException("the console page must hold exactly one inline script");
        }
        String script = page.substring(open + "<script>".length(), close);
        try {
            byte[] digest =
                    java.security.MessageDigest.getInstance("SHA-256")
                            .digest(script.getBytes(StandardCharsets.UTF_8));
            return "sha256-" + java.util.Base64.getEncoder().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
