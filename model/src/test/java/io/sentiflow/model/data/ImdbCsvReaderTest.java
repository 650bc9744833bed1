package io.sentiflow.model.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sentiflow.model.SharedData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImdbCsvReaderTest {

    @Test
    void shouldReadTheRealImdbTestSplit() throws IOException {
        List<LabeledText> rows = ImdbCsvReader.read(SharedData.imdb().file("test"));
        assertThat(rows).hasSize(25_000);
        assertThat(rows.stream().filter(LabeledText::positive).count()).isEqualTo(12_500);
        assertThat(rows.get(0).text()).startsWith("Once again Mr. Costner has dragged out a movie");
        assertThat(rows.get(0).positive()).isFalse();
        // U+0085 occurs inside reviews: a reader that split on it would have more rows and broken
        // texts
        assertThat(rows.stream().anyMatch(r -> r.text().contains("\u0085"))).isTrue();
    }

    @Test
    void shouldReadQuotedFieldsWithCommasQuotesAndNewlines(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("reviews.csv");
        Files.writeString(
                file,
                "review,sentiment\n"
                        + "\"Good, \"\"really\"\" good\",positive\n"
                        + "plain text,negative\r\n"
                        + "\"two\nlines\",positive\n");
        List<LabeledText> rows = ImdbCsvReader.read(file);
        assertThat(rows)
                .containsExactly(
                        new LabeledText("Good, \"really\" good", true),
                        new LabeledText("plain text", false),
                        new LabeledText("two\nlines", true));
    }

    @Test
    void shouldReadGzippedFiles(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("reviews.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("review,sentiment\nfine,positive\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(ImdbCsvReader.read(file)).containsExactly(new LabeledText("fine", true));
    }

    @Test
    void shouldNameFileAndLineOfABadLabel(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.csv");
        Files.writeString(file, "review,sentiment\nok,positive\nmeh,neutral\n");
        assertThatThrownBy(() -> ImdbCsvReader.read(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bad.csv")
                .hasMessageContaining("line 3")
                .hasMessageContaining("neutral");
    }

    @Test
    void shouldRefuseAWrongHeader(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("header.csv");
        Files.writeString(file, "text,label\nok,positive\n");
        assertThatThrownBy(() -> ImdbCsvReader.read(file))
                .hasMessageContaining("line 1")
                .hasMessageContaining("review,sentiment");
    }

    @Test
    void shouldRefuseAnUnclosedQuote(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("open.csv");
        Files.writeString(file, "review,sentiment\n\"never closed,positive\n");
        assertThatThrownBy(() -> ImdbCsvReader.read(file))
                .hasMessageContaining("line 2")
                .hasMessageContaining("not closed");
    }

    @Test
    void shouldRefuseAWrongFieldCount(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("fields.csv");
        Files.writeString(file, "review,sentiment\na,b,positive\n");
        assertThatThrownBy(() -> ImdbCsvReader.read(file))
                .hasMessageContaining("expected 2 fields");
    }

    @Test
    void shouldRefuseInvalidUtf8(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.csv");
        Files.write(
                file,
                new byte[] {
                    'r',
                    'e',
                    'v',
                    'i',
                    'e',
                    'w',
                    ',',
                    's',
                    'e',
                    'n',
                    't',
                    'i',
                    'm',
                    'e',
                    'n',
                    't',
                    '\n',
                    (byte) 0xE9,
                    ',',
                    'p',
                    '\n'
                });
        assertThatThrownBy(() -> ImdbCsvReader.read(file)).hasMessageContaining("UTF-8");
    }
}
