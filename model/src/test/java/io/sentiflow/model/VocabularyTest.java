package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {
    private static final List<List<String>> DOCUMENTS =
            List.of(
                    List.of("good", "film", "good", "!"),
                    List.of("bad", "film", "."),
                    List.of("good", "rare"));

    @Test
    void shouldReservePadAndUnkAndOrderByFrequency() {
        Vocabulary vocabulary = Vocabulary.build(DOCUMENTS, 1, 100);
        assertThat(vocabulary.token(Vocabulary.PAD)).isEqualTo("<pad>");
        assertThat(vocabulary.token(Vocabulary.UNK)).isEqualTo("<unk>");
        assertThat(vocabulary.id("good")).isEqualTo(2);
        assertThat(vocabulary.id("film")).isEqualTo(3);
        // ties broken alphabetically: "!" < "." < "bad" < "rare"
        assertThat(vocabulary.id("!")).isEqualTo(4);
        assertThat(vocabulary.size()).isEqualTo(8);
    }

    @Test
    void shouldDropRareTokensAndRespectMaxSize() {
        Vocabulary frequent = Vocabulary.build(DOCUMENTS, 2, 100);
        assertThat(frequent.size()).isEqualTo(4);
        assertThat(frequent.id("rare")).isEqualTo(Vocabulary.UNK);
        Vocabulary small = Vocabulary.build(DOCUMENTS, 1, 3);
        assertThat(small.size()).isEqualTo(3);
        assertThat(small.encode(List.of("good", "film"))).containsExactly(2, Vocabulary.UNK);
    }

    @Test
    void shouldRoundTripThroughAFile(@TempDir Path dir) throws IOException {
        Vocabulary vocabulary = Vocabulary.build(DOCUMENTS, 1, 100);
        Path file = dir.resolve("vocab.txt");
        vocabulary.save(file);
        Vocabulary loaded = Vocabulary.load(file);
        assertThat(loaded.size()).isEqualTo(vocabulary.size());
        for (int id = 0; id < vocabulary.size(); id++) {
            assertThat(loaded.token(id)).isEqualTo(vocabulary.token(id));
        }
        assertThat(loaded.encode(List.of("bad", "unseen")))
                .containsExactly(vocabulary.id("bad"), 1);
    }

    @Test
    void shouldRefuseAFileWithoutTheReservedTokens(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("vocab.txt");
        Files.writeString(file, "good\nbad\n");
        assertThatThrownBy(() -> Vocabulary.load(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("<pad>");
    }
}
