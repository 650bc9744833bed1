package io.sentiflow.model.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The dataset layouts Sentiflow reads, and how to tell them apart by name. */
public enum DatasetFormat {
    /** {@code review,sentiment} CSV, plain or {@code .gz} (the common {@code IMDB Dataset.csv}). */
    IMDB_CSV,
    /**
     * Stanford's {@code aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt}, a folder or the {@code
     * .tar.gz}.
     */
    ACL_IMDB,
    /**
     * Pang & Lee's {@code rt-polarity.pos} / {@code .neg}, one snippet per line (Windows-1252 or
     * UTF-8).
     */
    MR,
    /** JSON lines {@code {"text": ..., "label": "positive"|"negative"}}, plain or {@code .gz}. */
    JSONL;

    /** The format of {@code path}, from its name and, for folders, what they hold. */
    public static DatasetFormat detect(Path path) throws IOException {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve("rt-polarity.pos"))) {
                return MR;
            }
            if (Files.isDirectory(path.resolve("train"))
                    || Files.isDirectory(path.resolve("test"))
                    || Files.isDirectory(path.resolve("aclImdb"))) {
                return ACL_IMDB;
            }
            throw new IOException(
                    path
                            + ": a folder, but neither an aclImdb layout (train/, test/) nor MR (rt-polarity.pos)");
        }
        if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            return IMDB_CSV;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz") || name.endsWith(".json")) {
            return JSONL;
        }
        if (name.startsWith("rt-polarity")) {
            return MR;
        }
        if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
            return ACL_IMDB;
        }
        throw new IOException(
                path
                        + ": unknown dataset format; expected .csv[.gz], .jsonl[.gz], an aclImdb folder or .tar.gz, or an MR folder");
    }
}
