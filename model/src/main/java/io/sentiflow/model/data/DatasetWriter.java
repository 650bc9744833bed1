package io.sentiflow.model.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Writes labelled reviews as JSON lines ({@code .jsonl}) or {@code review,sentiment} CSV ({@code
 * .csv}); {@code .gz} compresses.
 */
public final class DatasetWriter {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DatasetWriter() {}

    public static void write(List<LabeledText> rows, Path file) throws IOException {
        String name = file.getFileName().toString();
        boolean csv = name.endsWith(".csv") || name.endsWith(".csv.gz");
        if (!csv && !name.endsWith(".jsonl") && !name.endsWith(".jsonl.gz")) {
            throw new IOException(file + ": write .jsonl, .csv (or either .gz)");
        }
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        try (OutputStream raw = Files.newOutputStream(file);
                OutputStream out = name.endsWith(".gz") ? new GZIPOutputStream(raw) : raw;
                BufferedWriter writer =
                        new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))) {
            if (csv) {
                writer.write("review,sentiment\n");
            }
            for (LabeledText row : rows) {
                String label = row.positive() ? "positive" : "negative";
                if (csv) {
                    writer.write(csvField(row.text()) + "," + label + "\n");
                } else {
                    Map<String, String> object = new LinkedHashMap<>();
                    object.put("text", row.text());
                    object.put("label", label);
                    writer.write(MAPPER.writeValueAsString(object));
                    writer.write('\n');
                }
            }
        }
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break; inner quotes doubled. */
    static String csvField(String text) {
        if (text.indexOf(',') < 0
                && text.indexOf('"') < 0
                && text.indexOf('\n') < 0
                && text.indexOf('\r') < 0) {
            return text;
        }
        return "\"" + text.replace("\"", "\"\"") + "\"";
    }
}
