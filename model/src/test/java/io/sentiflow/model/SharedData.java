package io.sentiflow.model;

import io.sentiflow.model.data.ImdbDataset;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real datasets beside the project (../shared/data); tests fail loudly when they are missing.
 */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        String configured = System.getProperty("sentiflow.shared.data");
        Path root =
                configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "data");
        if (!Files.isDirectory(root.resolve("imdb"))) {
            throw new IllegalStateException(
                    "the labelled datasets are missing: expected ../shared/data/imdb beside the project (looked in "
                            + root.toAbsolutePath().normalize()
                            + "); set -Dsentiflow.shared.data=DIR to point elsewhere");
        }
        return root;
    }

    public static ImdbDataset imdb() {
        return new ImdbDataset(root().resolve("imdb"));
    }
}
