package io.sentiflow.model.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads JSON lines, one object per line: {@code {"text": "...", "label": "positive"}} ({@code
 * label} may also be 1 or 0); other fields are ignored, blank lines skipped. A bad line fails with
 * the file, the line and the problem.
 */
public final class JsonLinesReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonLinesReader() {}

    public static List<LabeledText> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such file: " + file);
        }
        List<LabeledText> rows = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader =
                        new BufferedReader(
                                new InputStreamReader(
                                        in,
                                        StandardCharsets.UTF_8
                                                .newDecoder()
                                                .onMalformedInput(CodingErrorAction.REPORT)))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    rows.add(parse(line, file + ": line " + number));
                }
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8", e);
        }
        return rows;
    }

    static LabeledText parse(String line, String where) throws IOException {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(where + ": not JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new IOException(where + ": expected a JSON object");
        }
        JsonNode text = node.get("text");
        if (text == null || !text.isTextual()) {
            throw new IOException(where + ": \"text\" must be a string");
        }
        JsonNode label = node.get("label");
        if (label == null) {
            throw new IOException(where + ": \"label\" is missing");
        }
        String value = label.asText();
        if (value.equals("positive") || value.equals("1")) {
            return new LabeledText(text.textValue(), true);
        }
        if (value.equals("negative") || value.equals("0")) {
            return new LabeledText(text.textValue(), false);
        }
        throw new IOException(
                where + ": \"label\" must be positive, negative, 1 or 0, got " + label);
    }
}
