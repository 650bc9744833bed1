package io.sentiflow.schemas;

import java.io.InputStream;
import java.util.List;

/** Where the JSON Schema documents and their examples live on the classpath. */
public enum Schemas {
    REVIEW_V1("review.v1", List.of("minimal.json", "full.json")),
    SENTIMENT_V1("sentiment.v1", List.of("positive.json", "negative.json")),
    DEAD_LETTER_V1("dead-letter.v1", List.of("invalid-json.json", "null-value.json")),
    MODEL_HEALTH_V1(
            "model-health.v1", List.of("window.json", "shadow.json", "canary-analysis.json")),
    REVIEW_LABEL_V1("review-label.v1", List.of("rater.json")),
    REVIEW_SAMPLE_V1("review-sample.v1", List.of("uncertain.json")),
    MODEL_CONTROL_V1(
            "model-control.v1",
            List.of(
                    "deploy.json",
                    "canary.json",
                    "clear-shadow.json",
                    "canary-auto.json",
                    "canary-promoted.json")),
    MODEL_ROUTING_V1("model-routing.v1", List.of("canary.json", "canary-auto.json"));

    private final String id;
    private final List<String> examples;

    Schemas(String id, List<String> examples) {
        this.id = id;
        this.examples = examples;
    }

    /** The contract's name and version, e.g. {@code review.v1}. */
    public String id() {
        return id;
    }

    public String schemaResource() {
        return "/sentiflow/schemas/" + id + ".schema.json";
    }

    /** Classpath resources of the example documents, all of which validate. */
    public List<String> exampleResources() {
        return examples.stream().map(name -> "/sentiflow/examples/" + id + "/" + name).toList();
    }

    public InputStream openSchema() {
        return open(schemaResource());
    }

    public static InputStream open(String resource) {
        InputStream in = Schemas.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("missing classpath resource " + resource);
        }
        return in;
    }
}
