package io.sentiflow.model.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sentiflow.model.SharedData;
import io.sentiflow.model.Tokenizer;
import io.sentiflow.model.Vocabulary;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.MrReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Skip-gram vectors learned from real IMDB reviews (and MR sentences), and the word-vector file
 * formats.
 */
class WordVectorsTest {
    private static List<List<String>> imdb;
    private static List<List<String>> mr;
    private static WordVectors learned;

    @BeforeAll
    static void learnOnImdb() throws IOException {
        Tokenizer tokenizer = new Tokenizer(Integer.MAX_VALUE);
        imdb = new ArrayList<>();
        for (LabeledText row : SharedData.imdb().sample("train", 12_500, 11L)) {
            imdb.add(tokenizer.tokenize(row.text()));
        }
        mr = new ArrayList<>();
        for (LabeledText row : MrReader.read(SharedData.root().resolve("mr"))) {
            mr.add(tokenizer.tokenize(row.text()));
        }
        learned = WordVectors.learn(imdb, 3, 100_000, new SkipGram(48, 5, 5, 3, 7L), null);
    }

    @Test
    void wordsUsedAlikeShouldGetCloseVectors() {
        // Learned from half the IMDB training reviews, each word's partner should be among the ten
        // nearest of 2,000 frequent words; at random it would rank about 1,000th.
        for (String[] pair :
                new String[][] {
                    {"funny", "hilarious"},
                    {"boring", "dull"},
                    {"awful", "terrible"},
                    {"film", "movie"}
                }) {
            assertThat(rank(pair[0], pair[1])).as("%s → %s", pair[0], pair[1]).isLessThan(10);
        }
        assertThat(learned.dimension()).isEqualTo(48);
        assertThat(learned.size()).isGreaterThan(10_000);
        assertThat(learned.contains(Vocabulary.PAD_TOKEN)).isFalse();
        assertThat(learned.contains(Vocabulary.UNK_TOKEN)).isFalse();
    }

    @Test
    void theSameSeedShouldLearnTheSameVectors() {
        List<List<String>> sample = mr.subList(0, 2_000);
        WordVectors one =
                WordVectors.learn(sample, 2, 100_000, new SkipGram(16, 3, 3, 2, 5L), null);
        WordVectors two =
                WordVectors.learn(sample, 2, 100_000, new SkipGram(16, 3, 3, 2, 5L), null);
        WordVectors other =
                WordVectors.learn(sample, 2, 100_000, new SkipGram(16, 3, 3, 2, 6L), null);
        assertThat(two.vector("film")).containsExactly(one.vector("film"));
        assertThat(Arrays.equals(other.vector("film"), one.vector("film"))).isFalse();
    }

    @Test
    void binaryAndTextFilesShouldRoundTrip(@TempDir Path dir) throws IOException {
        for (String name : List.of("vectors.bin", "vectors.txt")) {
            Path file = dir.resolve(name);
            learned.save(file);
            WordVectors back = WordVectors.load(file);
            assertThat(back.size()).isEqualTo(learned.size());
            assertThat(back.dimension()).isEqualTo(learned.dimension());
            for (String word : List.of("film", "the", "hilarious", ",")) {
                assertThat(back.vector(word)).as(name).containsExactly(learned.vector(word));
            }
        }
    }

    @Test
    void gloveTextWithoutHeaderShouldLoad(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("glove.6B.3d.txt");
        Files.writeString(file, "the 0.1 -0.2 0.3\nfilm 1 2 3\n, -1e-2 0 4.5\n");
        WordVectors vectors = WordVectors.load(file);
        assertThat(vectors.size()).isEqualTo(3);
        assertThat(vectors.dimension()).isEqualTo(3);
        assertThat(vectors.vector(",")).containsExactly(-0.01f, 0f, 4.5f);
    }

    @Test
    void theTableShouldHoldScaledVectorsForKnownWordsAndRandomOnesForTheRest() {
        List<String> known = List.of("film", "movie", "hilarious", "dull", "the", "plot", "actor");
        List<String> text = new ArrayList<>(known);
        text.add("qwzxv");
        Vocabulary vocabulary = Vocabulary.build(List.of(text), 1, 100);
        WordVectors.Table table = learned.table(vocabulary, 0.1f, 3L);
        assertThat(table.words()).isEqualTo(8);
        assertThat(table.found()).isEqualTo(7);
        int d = learned.dimension();
        // One common factor: every vector keeps its direction and the ratios of lengths.
        float[] film = row(table, vocabulary, "film");
        assertThat(cosine(film, learned.vector("film"))).isCloseTo(1.0, within(1e-5));
        double factor = norm(film) / norm(learned.vector("film"));
        for (String word : known) {
            float[] row = row(table, vocabulary, word);
            assertThat(norm(row) / norm(learned.vector(word)))
                    .as(word)
                    .isCloseTo(factor, within(factor * 1e-4));
            assertThat(cosine(row, learned.vector(word))).as(word).isCloseTo(1.0, within(1e-5));
        }
        float[] all = new float[known.size() * d];
        for (int i = 0; i < known.size(); i++) {
            System.arraycopy(row(table, vocabulary, known.get(i)), 0, all, i * d, d);
        }
        assertThat(deviation(all, all.length)).isCloseTo(0.1, within(1e-4));
        float[] unknown = row(table, vocabulary, "qwzxv");
        assertThat(deviation(unknown, d))
                .as("a word without a vector starts random")
                .isBetween(0.05, 0.15);
    }

    private static double norm(float[] v) {
        double squares = 0;
        for (float x : v) {
            squares += x * x;
        }
        return Math.sqrt(squares);
    }

    private static float[] row(WordVectors.Table table, Vocabulary vocabulary, String word) {
        int d = learned.dimension();
        int id = vocabulary.id(word);
        return Arrays.copyOfRange(table.values(), id * d, (id + 1) * d);
    }

    @Test
    void badFilesShouldBeRefusedNamingTheFileLineAndProblem(@TempDir Path dir) throws IOException {
        Path ragged = dir.resolve("ragged.txt");
        Files.writeString(ragged, "2 3\nthe 0.1 0.2 0.3\nfilm 0.1 0.2\n");
        assertThatThrownBy(() -> WordVectors.load(ragged))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("ragged.txt, line 3")
                .hasMessageContaining("2 numbers where 3 were expected");
        Path word = dir.resolve("word.txt");
        Files.writeString(word, "the 0.1 abc 0.3\n");
        assertThatThrownBy(() -> WordVectors.load(word))
                .hasMessageContaining("word.txt, line 1")
                .hasMessageContaining("'abc' is not a finite number");
        Path nan = dir.resolve("nan.txt");
        Files.writeString(nan, "the 0.1 NaN\n");
        assertThatThrownBy(() -> WordVectors.load(nan))
                .hasMessageContaining("'NaN' is not a finite number");
        Path empty = dir.resolve("empty.vec");
        Files.writeString(empty, "");
        assertThatThrownBy(() -> WordVectors.load(empty)).hasMessageContaining("no word vectors");
        Path lonely = dir.resolve("lonely.txt");
        Files.writeString(lonely, "the\n");
        assertThatThrownBy(() -> WordVectors.load(lonely))
                .hasMessageContaining("a word without numbers");
        assertThatThrownBy(() -> WordVectors.load(dir.resolve("missing.bin")))
                .hasMessageContaining("no such word-vector file");

        Path header = dir.resolve("header.bin");
        Files.write(header, "GloVe vectors\nthe ...".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> WordVectors.load(header))
                .hasMessageContaining("header.bin, line 1")
                .hasMessageContaining("not \"count dimension\"");
        Path cut = dir.resolve("cut.bin");
        ByteBuffer floats = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        floats.putFloat(1f).putFloat(2f).putFloat(3f);
        byte[] body = floats.array();
        byte[] bytes = new byte[0];
        bytes = concat(bytes, "2 3\nthe ".getBytes(StandardCharsets.UTF_8));
        bytes = concat(bytes, body);
        bytes = concat(bytes, "\nfilm ".getBytes(StandardCharsets.UTF_8));
        bytes = concat(bytes, Arrays.copyOf(body, 7));
        Files.write(cut, bytes);
        assertThatThrownBy(() -> WordVectors.load(cut))
                .hasMessageContaining("cut.bin")
                .hasMessageContaining("ends inside the vector of word 2 'film'");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    private static double cosine(String a, String b) {
        assertThat(learned.contains(a)).as(a).isTrue();
        assertThat(learned.contains(b)).as(b).isTrue();
        return cosine(learned.vector(a), learned.vector(b));
    }

    /**
     * How many of the 2,000 most frequent words (after the first 50) are closer to {@code word}.
     */
    private static int rank(String word, String partner) {
        double target = cosine(word, partner);
        Vocabulary vocabulary = Vocabulary.build(imdb, 3, 2_052);
        int closer = 0;
        for (int id = 52; id < vocabulary.size(); id++) {
            String other = vocabulary.token(id);
            if (!other.equals(word)
                    && !other.equals(partner)
                    && cosine(learned.vector(word), learned.vector(other)) > target) {
                closer++;
            }
        }
        return closer;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int k = 0; k < a.length; k++) {
            dot += a[k] * b[k];
            na += a[k] * a[k];
            nb += b[k] * b[k];
        }
        return dot / Math.sqrt(na * nb);
    }

    private static double deviation(float[] values, int n) {
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            sum += values[i];
            squares += values[i] * values[i];
        }
        double mean = sum / n;
        return Math.sqrt(squares / n - mean * mean);
    }
}
