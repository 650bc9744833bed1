package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.MrReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written tokenizer against the first, regular-expression version ({@link
 * RegexTokenizer}): the same markup removal and the same tokens, cut or whole, on every IMDB and MR
 * review and on random text built from the awkward cases; and the one-pass encoder gives the ids
 * the vocabulary gives those tokens.
 */
class TokenizerEquivalenceTest {
    private static List<String> realTexts() throws IOException {
        List<String> texts = new ArrayList<>();
        for (String split : List.of("train", "test")) {
            SharedData.imdb().read(split).forEach(r -> texts.add(r.text()));
        }
        MrReader.read(SharedData.root().resolve("mr")).forEach(r -> texts.add(r.text()));
        assertThat(texts).hasSizeGreaterThan(60_000);
        return texts;
    }

    private static final String[] PIECES = {
        "<",
        ">",
        "/",
        " ",
        "\t",
        "\n",
        "\r",
        "\u000B",
        "a",
        "B",
        "z",
        "&",
        "#",
        "x",
        "X",
        "1",
        "9",
        ";",
        "amp",
        "lt",
        "gt",
        "nbsp",
        "hellip",
        "quot",
        "’",
        "'",
        "İ",
        "Σ",
        "ß",
        "\ud800",
        "\udc00",
        "😀",
        "\u0085",
        "\u00a0",
        "\u200b",
        "<br />",
        "<br/>",
        "< / b >",
        "&#x41;",
        "&#65;",
        "&#1234567;",
        "&#12345678;",
        "&#x10FFFF;",
        "&#x110000;",
        "&abcdefgh;",
        "&abcdefghi;",
        "&a;",
        "don't",
        "o'",
        "'s",
        "-",
        ".",
        "...",
        "!",
        "é",
        "Ÿ",
        "ǅ",
        "٣",
        "<a" + "b".repeat(199) + ">",
        "<a" + "b".repeat(200) + ">",
        "&AMP;",
        "&Lt;",
        "<<br>",
        "&<br>amp;"
    };

    private static List<String> awkwardTexts() {
        Random random = new Random(5);
        List<String> texts = new ArrayList<>();
        for (int n = 0; n < 20_000; n++) {
            StringBuilder text = new StringBuilder();
            int pieces = 1 + random.nextInt(40);
            for (int i = 0; i < pieces; i++) {
                text.append(PIECES[random.nextInt(PIECES.length)]);
            }
            texts.add(text.toString());
        }
        return texts;
    }

    @Test
    void theScanShouldStripAndSplitExactlyAsTheRegularExpressionsDid() throws IOException {
        List<String> texts = new ArrayList<>(realTexts());
        texts.addAll(awkwardTexts());
        Tokenizer whole = new Tokenizer(1_000_000);
        RegexTokenizer wholeReference = new RegexTokenizer(1_000_000);
        Tokenizer cut = new Tokenizer(64);
        RegexTokenizer cutReference = new RegexTokenizer(64);
        for (String text : texts) {
            assertThat(Tokenizer.stripMarkup(text))
                    .as(text)
                    .isEqualTo(RegexTokenizer.stripMarkup(text));
            assertThat(whole.tokenize(text)).as(text).isEqualTo(wholeReference.tokenize(text));
            assertThat(cut.tokenize(text)).as(text).isEqualTo(cutReference.tokenize(text));
        }
    }

    @Test
    void theOnePassEncoderShouldGiveTheIdsOfTheTokens() throws IOException {
        List<LabeledText> reviews = SharedData.imdb().sample("train", 5_000, 9);
        Tokenizer tokenizer = new Tokenizer(400);
        Vocabulary vocabulary =
                Vocabulary.build(
                        reviews.subList(0, 2_500).stream()
                                .map(r -> tokenizer.tokenize(r.text()))
                                .toList(),
                        2,
                        20_000);
        TextEncoder encoder = new TextEncoder(tokenizer, vocabulary);
        List<String> texts = new ArrayList<>(reviews.stream().map(LabeledText::text).toList());
        texts.addAll(awkwardTexts().subList(0, 2_000));
        long unknown = 0;
        for (String text : texts) {
            int[] expected = vocabulary.encode(new RegexTokenizer(400).tokenize(text));
            assertThat(encoder.encode(text)).as(text).isEqualTo(expected);
            for (int id : expected) {
                unknown += id == Vocabulary.UNK ? 1 : 0;
            }
        }
        assertThat(unknown).as("some tokens are unknown, so UNK is exercised too").isPositive();
    }
}
