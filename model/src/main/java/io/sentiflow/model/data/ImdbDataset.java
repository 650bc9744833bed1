package io.sentiflow.model.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A folder holding the IMDB splits as {@code train.csv[.gz]} and {@code test.csv[.gz]} in the
 * {@code review,sentiment} layout, and where to find one.
 */
public final class ImdbDataset {
    /** Searched in order when no folder is given, relative to the working directory. */
    public static final List<Path> DEFAULT_LOCATIONS =
            List.of(Path.of("data", "imdb"), Path.of("..", "shared", "data", "imdb"));

    public static final String HOW_TO_GET_IT =
            "Download the IMDB Large Movie Review Dataset (https://ai.stanford.edu/~amaas/data/sentiment/,"
                    + " aclImdb_v1.tar.gz) or a 'review,sentiment' CSV such as 'IMDB Dataset.csv', save it as"
                    + " data/imdb/train.csv and data/imdb/test.csv (optionally .gz), or pass --data DIR.";

    private final Path directory;

    public ImdbDataset(Path directory) {
        this.directory = directory;
    }

    /**
     * The dataset in {@code explicit} when given, else in the first default location that holds
     * one.
     *
     * @throws IOException naming what was searched and how to get the data
     */
    public static ImdbDataset locate(Optional<Path> explicit) throws IOException {
        List<Path> candidates = explicit.map(List::of).orElse(DEFAULT_LOCATIONS);
        for (Path candidate : candidates) {
            if (split(candidate, "train").isPresent()) {
                return new ImdbDataset(candidate);
            }
        }
        throw new IOException(
                "no IMDB dataset (train.csv or train.csv.gz) in "
                        + candidates.stream()
                                .map(p -> p.toAbsolutePath().normalize().toString())
                                .toList()
                        + ". "
                        + HOW_TO_GET_IT);
    }

    public Path directory() {
        return directory;
    }

    /** The file of a split ({@code train} or {@code test}). */
    public Path file(String split) throws IOException {
        return split(directory, split)
                .orElseThrow(() -> new IOException("no " + split + ".csv[.gz] in " + directory));
    }

    public List<LabeledText> read(String split) throws IOException {
        return ImdbCsvReader.read(file(split));
    }

    /**
     * A seeded random sample of a split, at most {@code size} reviews; the files are sorted by
     * label, so a prefix would be one-sided.
     */
    public List<LabeledText> sample(String split, int size, long seed) throws IOException {
        List<LabeledText> all = new ArrayList<>(read(split));
        Collections.shuffle(all, new Random(seed));
        return List.copyOf(all.subList(0, Math.min(size, all.size())));
    }

    private static Optional<Path> split(Path directory, String split) {
        for (String name : List.of(split + ".csv", split + ".csv.gz")) {
            Path file = directory.resolve(name);
            if (Files.isRegularFile(file)) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }
}
