package io.sentiflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A JobManager's REST API, as {@code flink run} and the web UI use it: upload a jar, run it with
 * arguments (optionally from a savepoint), read a job's state and exception history, stop it with a
 * savepoint, cancel it. Works against any JobManager, local or remote.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * @param base the REST address, e.g. {@code http://127.0.0.1:8081}
     */
    public FlinkRest(URI base) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
    }

    public URI base() {
        return base;
    }

    private JsonNode send(HttpRequest request) throws IOException {
        try {
            HttpResponse<String> response =
                    http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IOException(
                        request.method()
                                + " "
                                + request.uri()
                                + " answered "
                                + response.statusCode()
                                + ": "
                                + response.body());
            }
            return response.body().isEmpty()
                    ? JSON.createObjectNode()
                    : JSON.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling " + request.uri(), e);
        }
    }

    public JsonNode get(String path) throws IOException {
        return send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(30))
                        .GET()
                        .build());
    }

    private JsonNode post(String path, JsonNode body, Duration timeout) throws IOException {
        return send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(timeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build());
    }

    /** Whether the JobManager answers. */
    public boolean isUp() {
        try {
            get("overview");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** How many TaskManagers have registered. */
    public int taskManagers() throws IOException {
        return get("taskmanagers").path("taskmanagers").size();
    }

    /** Uploads a jar ({@code POST /jars/upload}) and returns its id on the JobManager. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "sentiflow-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode answer =
                send(
                        HttpRequest.newBuilder(base.resolve("jars/upload"))
                                .timeout(Duration.ofMinutes(5))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                                .build());
        String file = answer.path("filename").asText();
        if (file.isEmpty()) {
            throw new IOException("the upload of " + jar + " returned no file name: " + answer);
        }
        return Path.of(file).getFileName().toString();
    }

    /**
     * Runs an uploaded jar's main class with {@code args} ({@code POST /jars/{id}/run}, {@code
     * programArgsList}: a {@code programArgs} string is ignored by Flink 2) and returns the job id.
     *
     * @param savepoint a savepoint to start from, or null
     */
    public String runJar(String jarId, List<String> args, String savepoint) throws IOException {
        ObjectNode request = JSON.createObjectNode();
        var list = request.putArray("programArgsList");
        args.forEach(list::add);
        if (savepoint != null) {
            request.put("savepointPath", savepoint);
        }
        return post("jars/" + jarId + "/run", request, Duration.ofMinutes(3))
                .path("jobid")
                .asText();
    }

    /** The job's state: RUNNING, FINISHED, FAILED, CANCELED, … */
    public String jobState(String jobId) throws IOException {
        return get("jobs/" + jobId).path("state").asText();
    }

    /** The entries of a job's exception history (each failure, restarted from or not). */
    public JsonNode exceptionHistory(String jobId) throws IOException {
        return get("jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
    }

    /** Whether every vertex of the job is RUNNING (not only scheduled). */
    public boolean allVerticesRunning(String jobId) throws IOException {
        JsonNode vertices = get("jobs/" + jobId).path("vertices");
        if (vertices.isEmpty()) {
            return false;
        }
        for (JsonNode vertex : vertices) {
            if (!"RUNNING".equals(vertex.path("status").asText())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stops the job with a savepoint in {@code directory} ({@code POST /jobs/{id}/stop}) and
     * returns the savepoint's path once it is complete.
     */
    public String stopWithSavepoint(String jobId, String directory, Duration timeout)
            throws IOException {
        ObjectNode request = JSON.createObjectNode();
        request.put("targetDirectory", directory);
        request.put("drain", false);
        String trigger =
                post("jobs/" + jobId + "/stop", request, Duration.ofSeconds(30))
                        .path("request-id")
                        .asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("jobs/" + jobId + "/savepoints/" + trigger);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode operation = status.path("operation");
                if (operation.has("failure-cause")) {
                    throw new IOException(
                            "the savepoint failed: " + operation.path("failure-cause"));
                }
                return operation.path("location").asText();
            }
            sleep(200);
        }
        throw new IOException("no savepoint of " + jobId + " within " + timeout);
    }

    /** Cancels a job ({@code PATCH /jobs/{id}}). */
    public void cancel(String jobId) throws IOException {
        send(
                HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
                        .timeout(Duration.ofSeconds(30))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build());
    }

    /** Waits until {@code condition} holds, polling; false when the timeout passed first. */
    public static boolean await(Duration timeout, IoCondition condition) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.holds()) {
                return true;
            }
            sleep(200);
        }
        return condition.holds();
    }

    /** A condition that may need the network. */
    @FunctionalInterface
    public interface IoCondition {
        boolean holds() throws IOException;
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
