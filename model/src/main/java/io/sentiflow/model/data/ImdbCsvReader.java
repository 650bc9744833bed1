package io.sentiflow.model.data;

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
 * Reads the public IMDB CSV layout ({@code IMDB Dataset.csv}): a {@code review,sentiment} header,
 * then one row per review with {@code positive} or {@code negative}; RFC 4180 quoting; plain or
 * gzip'd ({@code .gz}).
 *
 * <p>Records are split on LF (and CRLF) outside quotes only, never on U+0085 or other Unicode line
 * breaks, which occur inside IMDB reviews. A malformed file fails with its name, the line and the
 * problem.
 */
public final class ImdbCsvReader {
    private ImdbCsvReader() {}

    /** Every row of the file, in file order. */
    public static List<LabeledText> read(Path file) throws IOException {
        return read(file, Integer.MAX_VALUE);
    }

    /** The first {@code limit} rows of the file. */
    public static List<LabeledText> read(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such file: " + file);
        }
        try (InputStream raw = Files.newInputStream(file);
                InputStream in =
                        file.getFileName().toString().endsWith(".gz")
                                ? new GZIPInputStream(raw, 1 << 16)
                                : raw;
                BufferedReader reader =
                        new BufferedReader(
                                new InputStreamReader(
                                        in,
                                        StandardCharsets.UTF_8
                                                .newDecoder()
                                                .onMalformedInput(CodingErrorAction.REPORT)),
                                1 << 16)) {
            return parse(reader, file.toString(), limit);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8", e);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": not a gzip file (" + e.getMessage() + ")", e);
        }
    }

    static List<LabeledText> parse(BufferedReader reader, String name, int limit)
            throws IOException {
        CsvRecords records = new CsvRecords(reader, name);
        List<String> header = records.next();
        if (header == null) {
            throw new IOException(name + ": empty file, expected a 'review,sentiment' header");
        }
        if (!header.isEmpty() && header.get(0).startsWith("\uFEFF")) {
            header.set(0, header.get(0).substring(1));
        }
        if (header.size() != 2
                || !header.get(0).trim().equals("review")
                || !header.get(1).trim().equals("sentiment")) {
            throw new IOException(
                    name + ": line 1: expected the header 'review,sentiment', got " + header);
        }
        List<LabeledText> rows = new ArrayList<>();
        List<String> record;
        while (rows.size() < limit && (record = records.next()) != null) {
            int line = records.recordStartLine();
            if (record.size() != 2) {
                throw new IOException(
                        name + ": line " + line + ": expected 2 fields, got " + record.size());
            }
            String label = record.get(1).trim();
            boolean positive;
            if (label.equals("positive")) {
                positive = true;
            } else if (label.equals("negative")) {
                positive = false;
            } else {
                throw new IOException(
                        name
                                + ": line "
                                + line
                                + ": sentiment must be 'positive' or 'negative', got '"
                                + label
                                + "'");
            }
            rows.add(new LabeledText(record.get(0), positive));
        }
        return rows;
    }

    /** An RFC 4180 record splitter that tracks physical line numbers for error messages. */
    private static final class CsvRecords {
        private final BufferedReader reader;
        private final String name;
        private int line = 0;
        private int recordStart = 0;

        CsvRecords(BufferedReader reader, String name) {
            this.reader = reader;
            this.name = name;
        }

        int recordStartLine() {
            return recordStart;
        }

        /** The next record's fields, or null at the end of the file; blank lines are skipped. */
        List<String> next() throws IOException {
            String physical;
            do {
                physical = readLine();
                if (physical == null) {
                    return null;
                }
            } while (physical.isEmpty());
            recordStart = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            boolean fieldWasQuoted = false;
            int i = 0;
            while (true) {
                if (i == physical.length()) {
                    if (!quoted) {
                        fields.add(field.toString());
                        return fields;
                    }
                    String continuation = readLine();
                    if (continuation == null) {
                        throw new IOException(
                                name
                                        + ": line "
                                        + recordStart
                                        + ": quoted field is not closed before the end of the file");
                    }
                    field.append('\n');
                    physical = continuation;
                    i = 0;
                    continue;
                }
                char c = physical.charAt(i++);
                if (quoted) {
                    if (c == '"') {
                        if (i < physical.length() && physical.charAt(i) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            quoted = false;
                        }
                    } else {
                        field.append(c);
                    }
                } else if (c == ',') {
                    fields.add(field.toString());
                    field.setLength(0);
                    fieldWasQuoted = false;
                } else if (c == '"' && field.length() == 0 && !fieldWasQuoted) {
                    quoted = true;
                    fieldWasQuoted = true;
                } else if (c == '"') {
                    throw new IOException(
                            name + ": line " + line + ": stray double quote in an unquoted field");
                } else if (fieldWasQuoted) {
                    throw new IOException(name + ": line " + line + ": text after a closing quote");
                } else {
                    field.append(c);
                }
            }
        }

        /** A physical line, split on LF only (CRLF tolerated), never on U+0085. */
        private String readLine() throws IOException {
            StringBuilder out = new StringBuilder();
            int c;
            while ((c = reader.read()) != -1) {
                if (c == '\n') {
                    break;
                }
                out.append((char) c);
            }
            if (c == -1 && out.length() == 0) {
                return null;
            }
            line++;
            int end = out.length();
            if (end > 0 && out.charAt(end - 1) == '\r') {
                out.setLength(end - 1);
            }
            return out.toString();
        }
    }
}
