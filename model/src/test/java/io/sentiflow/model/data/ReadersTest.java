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
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
    /** Three real negative and three real positive IMDB train reviews. */
    private static List<LabeledText> excerpt;

    @BeforeAll
    static void readExcerpt() throws IOException {
        List<LabeledText> train = ImdbCsvReader.read(SharedData.imdb().file("train"));
        excerpt =
                List.of(
                        train.get(0),
                        train.get(1),
                        train.get(2),
                        train.get(12_500),
                        train.get(12_501),
                        train.get(12_502));
    }

    /** Writes the excerpt in the official aclImdb layout under {@code root}/aclImdb. */
    private static void writeAclImdb(Path root) throws IOException {
        for (int i = 0; i < excerpt.size(); i++) {
            LabeledText row = excerpt.get(i);
            Path file =
                    root.resolve(
                            "aclImdb/train/"
                                    + (row.positive() ? "pos" : "neg")
                                    + "/"
                                    + (i % 3)
                                    + "_"
                                    + (row.positive() ? 9 : 2)
                                    + ".txt");
            Files.createDirectories(file.getParent());
            Files.writeString(file, row.text());
        }
        Files.writeString(root.resolve("aclImdb/train/urlsneg.txt"), "http://example.invalid\n");
    }

    @Test
    void aclImdbFolderShouldReadInOfficialOrder(@TempDir Path root) throws IOException {
        writeAclImdb(root);
        assertThat(AclImdbReader.read(root, "train")).containsExactlyElementsOf(excerpt);
        assertThat(AclImdbReader.read(root.resolve("aclImdb"), "train"))
                .containsExactlyElementsOf(excerpt);
        assertThat(DatasetFormat.detect(root.resolve("aclImdb"))).isEqualTo(DatasetFormat.ACL_IMDB);
    }

    @Test
    void aclImdbArchiveShouldReadWithoutUnpacking(@TempDir Path root) throws IOException {
        writeAclImdb(root.resolve("src"));
        Path archive = root.resolve("aclImdb_v1.tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(archive));
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            try (var files = Files.walk(root.resolve("src"))) {
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    TarArchiveEntry entry =
                            new TarArchiveEntry(
                                    file.toFile(), root.resolve("src").relativize(file).toString());
                    tar.putArchiveEntry(entry);
                    Files.copy(file, tar);
                    tar.closeArchiveEntry();
                }
            }
        }
        assertThat(Datasets.read(archive, "train")).containsExactlyElementsOf(excerpt);
        assertThatThrownBy(() -> AclImdbReader.read(archive, "test"))
                .hasMessageContaining("no test/pos or test/neg reviews");
    }

    @Test
    void aclImdbShouldNameAFileThatIsNotUtf8(@TempDir Path root) throws IOException {
        writeAclImdb(root);
        Path bad = root.resolve("aclImdb/train/neg/7_1.txt");
        Files.write(bad, new byte[] {'b', 'a', 'd', (byte) 0xE9});
        assertThatThrownBy(() -> AclImdbReader.read(root, "train"))
                .hasMessageContaining("7_1.txt")
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> AclImdbReader.read(root.resolve("empty"), "train"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void mrOriginalWindows1252ShouldReadLikeTheUtf8Copy() throws IOException {
        List<LabeledText> original = MrReader.read(SharedData.root().resolve("mr"));
        List<LabeledText> utf8 = MrReader.read(SharedData.root().resolve("mr/utf8"));
        assertThat(original).hasSize(10_662);
        assertThat(original.stream().filter(LabeledText::positive).count()).isEqualTo(5_331);
        assertThat(original).containsExactlyElementsOf(utf8);
        assertThat(
                        original.stream()
                                .anyMatch(r -> r.text().contains("…") || r.text().contains("é")))
                .isTrue();
        assertThat(
                        original.stream()
                                .noneMatch(
                                        r ->
                                                r.text()
                                                        .chars()
                                                        .anyMatch(c -> c >= 0x80 && c <= 0x9f)))
                .as("no C1 control characters: decoded as Windows-1252, not Latin-1")
                .isTrue();
    }

    @Test
    void mrShouldNameTheLineOfBytesNoEncodingAllows(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("rt-polarity.pos"), "good film\n");
        Files.write(
                dir.resolve("rt-polarity.neg"),
                new byte[] {'o', 'k', '\n', 'b', 'a', 'd', (byte) 0x81, '\n'});
        assertThatThrownBy(() -> MrReader.read(dir))
                .hasMessageContaining("rt-polarity.neg")
                .hasMessageContaining("line 2");
    }

    @Test
    void jsonLinesShouldReadLabelsAndNameBadLines(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("samples.jsonl");
        Files.writeString(
                file,
                "{\"text\": \"great\", \"label\": \"positive\", \"score\": 0.51}\n\n{\"text\": \"awful\", \"label\": 0}\n");
        assertThat(JsonLinesReader.read(file))
                .containsExactly(new LabeledText("great", true), new LabeledText("awful", false));
        Files.writeString(
                file, "{\"text\": \"fine\", \"label\": \"positive\"}\n{\"text\": \"x\"\n");
        assertThatThrownBy(() -> JsonLinesReader.read(file))
                .hasMessageContaining("samples.jsonl: line 2")
                .hasMessageContaining("not JSON");
        Files.writeString(file, "{\"text\": \"fine\"}\n");
        assertThatThrownBy(() -> JsonLinesReader.read(file))
                .hasMessageContaining("line 1")
                .hasMessageContaining("\"label\" is missing");
        Files.writeString(file, "{\"text\": \"fine\", \"label\": \"meh\"}\n");
        assertThatThrownBy(() -> JsonLinesReader.read(file))
                .hasMessageContaining("must be positive, negative");
        Files.writeString(file, "[1]\n");
        assertThatThrownBy(() -> JsonLinesReader.read(file))
                .hasMessageContaining("expected a JSON object");
    }

    @Test
    void writtenCsvAndJsonLinesShouldReadBackUnchanged(@TempDir Path dir) throws IOException {
        List<LabeledText> rows =
                List.of(
                        new LabeledText("Commas, \"quotes\" and\nline breaks", true),
                        new LabeledText("NEL\u0085inside", false),
                        excerpt.get(0));
        for (String name : List.of("rows.csv", "rows.csv.gz", "rows.jsonl", "rows.jsonl.gz")) {
            Path file = dir.resolve(name);
            DatasetWriter.write(rows, file);
            assertThat(Datasets.read(file, "train")).as(name).containsExactlyElementsOf(rows);
        }
        assertThatThrownBy(() -> DatasetWriter.write(rows, dir.resolve("rows.txt")))
                .hasMessageContaining(".jsonl, .csv");
    }

    @Test
    void unknownLayoutsShouldBeNamed(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("notes.txt"), "x");
        assertThatThrownBy(() -> DatasetFormat.detect(dir.resolve("notes.txt")))
                .hasMessageContaining("unknown dataset format");
        assertThatThrownBy(() -> DatasetFormat.detect(dir))
                .hasMessageContaining("neither an aclImdb layout");
        assertThat(new String("ok".getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                .isEqualTo("ok");
    }
}
