package io.sentiflow.console;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.sentiflow.job.JobConfig;
import io.sentiflow.job.SentimentJob;
import io.sentiflow.job.StreamingFixture;
import io.sentiflow.job.TestModel;
import io.sentiflow.local.EmbeddedKafka;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console against a real broker and a running job: the HTTP API, then the page in headless
 * Chromium.
 */
class ConsoleEndToEndTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static EmbeddedKafka kafka;
    private static StreamingFixture live;
    private static JobClient job;
    private static ConsoleServer console;
    private static String positive;
    private static String negative;
    private static List<LabeledText> background;

    @BeforeAll
    static void startTheJobAndTheConsole() throws Exception {
        kafka = EmbeddedKafka.start();
        live = new StreamingFixture(kafka, "live");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        job =
                SentimentJob.fromConfig(live.config(Map.of(JobConfig.HEALTH_WINDOW_MS, "1000")))
                        .executeAsync(env);
        console = ConsoleServer.start(settings(live, Duration.ofSeconds(10)));
        pickClearReviews();
    }

    private static ConsoleSettings settings(StreamingFixture fixture, Duration timeout) {
        return ConsoleSettings.defaults(kafka.bootstrapServers(), 0)
                .withTopics(fixture.reviews, fixture.sentiments, fixture.health)
                .withAnswerTimeout(timeout);
    }

    /**
     * A clearly positive and a clearly negative IMDB test review: true label and the model agree,
     * with a score far from 0.5.
     */
    private static void pickClearReviews() throws Exception {
        List<LabeledText> candidates = TestModel.imdb().sample("test", 300, 5);
        try (SentimentScorer scorer = SentimentScorer.load(TestModel.directory(), Device.cpu())) {
            float[] scores = scorer.scoreTexts(candidates.stream().map(LabeledText::text).toList());
            int best = -1;
            int worst = -1;
            for (int i = 0; i < candidates.size(); i++) {
                if (candidates.get(i).positive() && (best < 0 || scores[i] > scores[best])) {
                    best = i;
                } else if (!candidates.get(i).positive()
                        && (worst < 0 || scores[i] < scores[worst])) {
                    worst = i;
                }
            }
            assertThat(scores[best])
                    .as("the most confident positive review's score")
                    .isGreaterThan(0.5f);
            assertThat(scores[worst])
                    .as("the most confident negative review's score")
                    .isLessThan(0.5f);
            positive = candidates.get(best).text();
            negative = candidates.get(worst).text();
        }
        background = TestModel.imdb().sample("test", 400, 6);
    }

    @AfterAll
    static void stop() throws Exception {
        if (console != null) {
            console.close();
        }
        if (job != null) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        kafka.close();
    }

    private static HttpResponse<String> post(ConsoleServer server, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(server.address().resolve("/api/reviews"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String review(String text) {
        return Json.toString(Map.of("text", text));
    }

    @Test
    void aClearlyPositiveAndANegativeReviewShouldComeBackWithTheirLabels() throws Exception {
        HttpResponse<String> good = post(console, review(positive));
        assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
        JsonNode answer = Json.mapper().readTree(good.body());
        assertThat(answer.path("label").asText()).isEqualTo("positive");
        assertThat(answer.path("score").asDouble()).isGreaterThan(0.5);
        assertThat(answer.path("modelVersion").asText()).isEqualTo("textcnn-test@1");
        assertThat(answer.path("latencyMs").asLong()).isPositive();
        assertThat(answer.path("reviewId").asText()).startsWith("console-");

        HttpResponse<String> bad = post(console, review(negative));
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(200);
        assertThat(Json.mapper().readTree(bad.body()).path("label").asText()).isEqualTo("negative");
    }

    @Test
    void badRequestsShouldGetTheDocumentedClientErrors() throws Exception {
        Map<String, Integer> expected = new HashMap<>();
        expected.put("this is not json", 400);
        expected.put("{\"text\": 42}", 400);
        expected.put("{\"review\": \"no text field\"}", 400);
        expected.put("[\"text\"]", 400);
        expected.put("{\"text\": \"   \"}", 400);
        expected.put(review("x".repeat(100_001)), 413);
        // Under 100,000 bytes of text, over them as the record the job reads (each control
        // character is escaped in six): refused here, not dead-lettered by the job after a 504.
        expected.put(review("x".repeat(99_000) + String.valueOf((char) 1).repeat(200)), 413);
        for (Map.Entry<String, Integer> request : expected.entrySet()) {
            HttpResponse<String> response = post(console, request.getKey());
            assertThat(response.statusCode())
                    .as(request.getKey().substring(0, Math.min(40, request.getKey().length())))
                    .isEqualTo(request.getValue());
            assertThat(Json.mapper().readTree(response.body()).path("error").asText()).isNotBlank();
        }
        HttpResponse<String> get =
                HTTP.send(
                        HttpRequest.newBuilder(console.address().resolve("/api/reviews")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
    }

    @Test
    void aStoppedJobShouldGiveAGatewayTimeout() throws Exception {
        StreamingFixture fixture = new StreamingFixture(kafka, "stopped");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        JobClient stopped = SentimentJob.fromConfig(fixture.config(Map.of())).executeAsync(env);
        stopped.cancel().get(30, TimeUnit.SECONDS);
        try (ConsoleServer idle = ConsoleServer.start(settings(fixture, Duration.ofMillis(1500)))) {
            long start = System.nanoTime();
            HttpResponse<String> response = post(idle, review(positive));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
            assertThat(response.body()).contains("no sentiment within 1500 ms");
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(1_500_000_000L);
        }
    }

    @Test
    void thePageShouldClassifyTypedReviewsAndShowALiveDashboard(@TempDir Path profile)
            throws Exception {
        Thread traffic =
                new Thread(
                        () -> {
                            for (LabeledText review : background) {
                                try {
                                    post(console, review(review.text()));
                                } catch (Exception e) {
                                    return;
                                }
                            }
                        });
        traffic.setDaemon(true);
        traffic.start();
        WebDriver browser = chromium(profile);
        try {
            browser.get(console.address().toString());
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            // The page redraws its panels as events arrive: an element found an instant before
            // may be replaced before it is read, so a wait retries instead of failing on that.
            wait.ignoring(StaleElementReferenceException.class);

            classify(browser, wait, positive, "positive");
            classify(browser, wait, negative, "negative");

            wait.until(
                    b -> {
                        String shown = b.findElement(By.id("stat-throughput")).getText();
                        return shown.matches("[0-9.]+") && Double.parseDouble(shown) > 0;
                    });
            wait.until(b -> !b.findElements(By.cssSelector("#feed li")).isEmpty());
            wait.until(
                    b ->
                            b.findElement(By.id("routing-production"))
                                    .getText()
                                    .equals("textcnn-test@1"));
            wait.until(
                    b -> b.findElements(By.cssSelector("#chart-throughput polyline")).size() > 0);
            showsACanaryAnalysis(browser, wait);
            byte[] png = ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES);
            Path shot = Path.of("target", "console-screenshot.png");
            Files.write(shot, png);
            assertThat(png.length).isGreaterThan(10_000);
        } finally {
            browser.quit();
            traffic.interrupt();
        }
    }

    /**
     * The page shows the job's canary analysis from the health topic: the contract's example of a
     * rolled-back canary, published as the job publishes its records.
     */
    private static void showsACanaryAnalysis(WebDriver browser, WebDriverWait wait)
            throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode record;
        try (var example =
                ConsoleEndToEndTest.class.getResourceAsStream(
                        "/sentiflow/examples/model-health.v1/canary-analysis.json")) {
            record =
                    (com.fasterxml.jackson.databind.node.ObjectNode)
                            Json.mapper().readTree(example);
        }
        long now = System.currentTimeMillis();
        record.put("windowStart", now - 1000);
        record.put("windowEnd", now);
        record.remove("routing");
        try (var producer =
                io.sentiflow.local.KafkaClients.producer(
                        kafka.bootstrapServers(), new java.util.Properties())) {
            producer.send(
                            new org.apache.kafka.clients.producer.ProducerRecord<>(
                                    live.health,
                                    "textcnn-imdb@3"
                                            .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                    Json.mapper().writeValueAsBytes(record)))
                    .get(30, TimeUnit.SECONDS);
        }
        wait.until(
                b ->
                        !b.findElements(By.id("canary-verdict")).isEmpty()
                                && b.findElement(By.id("canary-verdict"))
                                        .getText()
                                        .equals("rollback"));
        assertThat(browser.findElement(By.id("canary-decision")).getText()).isEqualTo("rollback");
        assertThat(browser.findElement(By.id("canary")).getText())
                .contains("textcnn-imdb@3 against textcnn-imdb@2")
                .contains("accuracy-difference *")
                .contains("fail");
    }

    private static void classify(WebDriver browser, WebDriverWait wait, String text, String label) {
        WebElement box = browser.findElement(By.id("review-text"));
        box.clear();
        // The page posts the textarea's value; setting it directly keeps long reviews fast.
        ((ChromeDriver) browser).executeScript("arguments[0].value = arguments[1];", box, text);
        box.sendKeys(" ");
        browser.findElement(By.id("classify")).click();
        // The click replaces the previous answer with "scoring…" before the request leaves.
        wait.until(
                b ->
                        b.findElement(By.id("classify")).isEnabled()
                                && !b.findElements(By.id("result-label")).isEmpty());
        assertThat(browser.findElement(By.id("result")).getAttribute("data-label"))
                .isEqualTo(label);
        assertThat(browser.findElement(By.id("result-label")).getText()).isEqualTo(label);
    }

    private static final String TOKEN = "a-test-token-of-32-characters-xx";

    private static HttpResponse<String> request(
            ConsoleServer server, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(server.address().resolve(path))
                        .timeout(Duration.ofSeconds(30))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A raw {@code GET path} to {@code address} with this {@code Host} header (the JDK's client
     * will not set one of its own): the start of the response.
     */
    private static String get(String address, ConsoleServer server, String path, String host)
            throws Exception {
        String request =
                "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
        try (java.net.Socket socket = new java.net.Socket(address, server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(
                    socket.getInputStream().readNBytes(4096),
                    java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void aConsoleShouldBeClosedByDefaultAndToEveryoneWithoutItsToken() throws Exception {
        ConsoleSettings settings =
                settings(live, Duration.ofSeconds(5)).withToken(TOKEN).withLimits(4, 2);
        assertThat(settings.bind()).isEqualTo("127.0.0.1");
        assertThat(settings.toString()).doesNotContain(TOKEN);
        try (ConsoleServer closed = ConsoleServer.start(settings)) {
            assertThat(closed.listening().getAddress().isLoopbackAddress()).isTrue();
            String json = "application/json";
            String body = review("a fine film");
            // No token, a wrong one, another scheme: 401 on the API and the event stream.
            assertThat(
                            request(closed, "POST", "/api/reviews", body, "Content-Type", json)
                                    .statusCode())
                    .isEqualTo(401);
            assertThat(
                            request(
                                            closed,
                                            "POST",
                                            "/api/reviews",
                                            body,
                                            "Content-Type",
                                            json,
                                            "Authorization",
                                            "Bearer " + TOKEN.substring(1) + "y")
                                    .statusCode())
                    .isEqualTo(401);
            HttpResponse<String> events =
                    request(closed, "GET", "/api/events", null, "Authorization", "Basic " + TOKEN);
            assertThat(events.statusCode()).isEqualTo(401);
            assertThat(events.headers().firstValue("WWW-Authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            String bearer = "Bearer " + TOKEN;
            // With the token: not JSON, a cross-site origin, then a proper request.
            assertThat(
                            request(
                                            closed,
                                            "POST",
                                            "/api/reviews",
                                            body,
                                            "Authorization",
                                            bearer,
                                            "Content-Type",
                                            "text/plain")
                                    .statusCode())
                    .isEqualTo(415);
            assertThat(
                            request(
                                            closed,
                                            "POST",
                                            "/api/reviews",
                                            body,
                                            "Authorization",
                                            bearer,
                                            "Content-Type",
                                            json,
                                            "Origin",
                                            "http://evil.example")
                                    .statusCode())
                    .isEqualTo(403);
            HttpResponse<String> answered =
                    request(
                            closed,
                            "POST",
                            "/api/reviews",
                            review(positive),
                            "Authorization",
                            bearer,
                            "Content-Type",
                            json,
                            "Origin",
                            "http://localhost:" + closed.port());
            assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
            assertThat(Json.mapper().readTree(answered.body()).path("label").asText())
                    .isEqualTo("positive");
            // Bad JSON: a clear error that quotes nothing of the input.
            HttpResponse<String> bad =
                    request(
                            closed,
                            "POST",
                            "/api/reviews",
                            "{\"text\": secret-words",
                            "Authorization",
                            bearer,
                            "Content-Type",
                            json);
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).doesNotContain("secret");

            // The page is served with a policy that lets only its own script run.
            HttpResponse<String> page = request(closed, "GET", "/", null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Security-Policy"))
                    .hasValueSatisfying(
                            v ->
                                    assertThat(v)
                                            .contains("script-src 'sha256-")
                                            .contains("frame-ancestors 'none'"));
            assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

            // DNS rebinding: a loopback console answers to loopback names only.
            assertThat(get("127.0.0.1", closed, "/healthz", "evil.example"))
                    .startsWith("HTTP/1.1 403");
            assertThat(get("127.0.0.1", closed, "/healthz", "localhost:" + closed.port()))
                    .startsWith("HTTP/1.1 200");

            // Event-stream clients are capped (2 here); the third is told to come back later.
            List<java.util.concurrent.CompletableFuture<HttpResponse<java.io.InputStream>>>
                    streams = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                streams.add(
                        HTTP.sendAsync(
                                HttpRequest.newBuilder(closed.address().resolve("/api/events"))
                                        .header("Authorization", bearer)
                                        .build(),
                                HttpResponse.BodyHandlers.ofInputStream()));
            }
            for (var stream : streams) {
                assertThat(stream.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(
                            request(closed, "GET", "/api/events", null, "Authorization", bearer)
                                    .statusCode())
                    .isEqualTo(503);
            for (var stream : streams) {
                stream.get().body().close();
            }

            // Health turns 503 once the topic feed has stopped.
            assertThat(request(closed, "GET", "/healthz", null).statusCode()).isEqualTo(200);
            closed.feed().close();
            assertThat(request(closed, "GET", "/healthz", null).statusCode()).isEqualTo(503);
        }
    }

    @Test
    void aConsoleOnEveryInterfaceShouldStillAnswerOnlyToItsOwnNames() throws Exception {
        // Reached through this machine's own network address, as a container's published port is.
        String address = null;
        for (var nic :
                java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            for (var a : java.util.Collections.list(nic.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()) {
                    address = a.getHostAddress();
                }
            }
        }
        assertThat(address).as("a non-loopback IPv4 address on this machine").isNotNull();
        try (ConsoleServer open =
                ConsoleServer.start(
                        settings(live, Duration.ofSeconds(5))
                                .withBind("0.0.0.0")
                                .withAllowedHosts(List.of("console.example")))) {
            String port = ":" + open.port();
            assertThat(get(address, open, "/healthz", "evil.example" + port))
                    .as("a rebinding page's Host")
                    .startsWith("HTTP/1.1 403");
            assertThat(get(address, open, "/healthz", "Console.Example" + port))
                    .startsWith("HTTP/1.1 200");
            assertThat(get(address, open, "/healthz", "localhost" + port))
                    .startsWith("HTTP/1.1 200");
            assertThat(get(address, open, "/nothing/secret-path", "localhost" + port))
                    .startsWith("HTTP/1.1 404")
                    .doesNotContain("secret-path");
        }
    }

    private static WebDriver chromium(Path profile) {
        File browser = new File("/usr/bin/chromium");
        File driver = new File("/usr/bin/chromedriver");
        if (!browser.canExecute() || !driver.canExecute()) {
            throw new IllegalStateException(
                    "the browser test needs Debian's chromium and chromium-driver"
                            + " (/usr/bin/chromium, /usr/bin/chromedriver): .ci/run installs them;"
                            + " by hand: apt-get install chromium chromium-driver");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1400,1000",
                "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(driver)
                        .usingAnyFreePort()
                        .build();
        return new ChromeDriver(service, options);
    }
}
