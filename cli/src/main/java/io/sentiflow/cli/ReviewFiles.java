package io.sentiflow.cli;

import io.sentiflow.model.data.ImdbCsvReader;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.Labels;
import io.sentiflow.schemas.Review;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** Turns the files users hold into Kafka record values for the reviews topic. */
final class ReviewFiles {
    enum Format {
        AUTO,
        CSV,
        JSONL,
        TEXT
    }

    private ReviewFiles() {}

    /** A keyed record value; {@code key} is the review id where one is known. */
    record Message(String key, byte[] value) {}

    /**
     * Reads {@code file} ({@code -} for standard input) as review messages.
     *
     * <p>CSV ({@code review,sentiment}) rows and plain text lines become {@code review.v1} JSON
     * with ids {@code <prefix>-<n>}; JSON lines are sent exactly as written, so a malformed line
     * reaches the job (and its dead-letter topic) unchanged.
     */
    static List<Message> read(String file, Format format, String idPrefix) throws IOException {
        Format resolved = format == Format.AUTO ? guess(file) : format;
        if (resolved == Format.CSV) {
            if (file.equals("-")) {
                throw new IOException("CSV input must be a file, not standard input");
            }
            List<Message> messages = new ArrayList<>();
            List<LabeledText> rows = ImdbCsvReader.read(Path.of(file));
            for (int i = 0; i < rows.size(); i++) {
                String id = idPrefix + "-" + i;
                LabeledText row = rows.get(i);
                Review review =
                        new Review(
                                id,
                                row.text(),
                                row.positive() ? Labels.POSITIVE : Labels.NEGATIVE,
                                idPrefix,
                                System.currentTimeMillis());
                messages.add(new Message(id, Json.toBytes(review)));
            }
            return messages;
        }
        List<Message> messages = new ArrayList<>();
        try (BufferedReader reader = open(file)) {
            String line;
            int n = 0;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                if (resolved == Format.JSONL) {
                    messages.add(new Message(null, line.getBytes(StandardCharsets.UTF_8)));
                } else {
                    String id = idPrefix + "-" + n++;
                    messages.add(
                            new Message(
                                    id,
                                    Json.toBytes(
                                            new Review(
                                                    id,
                                                    line,
                                                    null,
                                                    idPrefix,
                                                    System.currentTimeMillis()))));
                }
            }
        }
        return messages;
    }

    private static Format guess(String file) {
        String name = file.toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            return Format.CSV;
        }
        if (name.endsWith(".jsonl")
                || name.endsWith(".json")
                || name.endsWith(".jsonl.gz")
                || file.equals("-")) {
            return Format.JSONL;
        }
        return Format.TEXT;
    }

    private static BufferedReader open(String file) throws IOException {
        InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file));
        if (file.endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
}
