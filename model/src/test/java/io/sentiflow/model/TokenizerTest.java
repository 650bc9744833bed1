package io.sentiflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sentiflow.model.data.LabeledText;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizerTest {
    private final Tokenizer tokenizer = new Tokenizer(400);

    @Test
    void aCutReviewShouldBeThePrefixOfTheWholeOne() throws IOException {
        // The trainer tokenizes each review once, whole, and cuts it for the network.
        Tokenizer whole = new Tokenizer(Integer.MAX_VALUE);
        for (LabeledText review : SharedData.imdb().sample("train", 300, 3L)) {
            List<String> all = whole.tokenize(review.text());
            for (int length : new int[] {1, 7, 60, 400}) {
                assertThat(new Tokenizer(length).tokenize(review.text()))
                        .isEqualTo(all.subList(0, Math.min(all.size(), length)));
            }
        }
    }

    @Test
    void shouldLowerCaseAndSplitPunctuationOff() {
        assertThat(tokenizer.tokenize("Great movie!! Loved it, really."))
                .containsExactly("great", "movie", "!", "!", "loved", "it", ",", "really", ".");
    }

    @Test
    void shouldRemoveHtmlTagsSuchAsLineBreaks() {
        assertThat(tokenizer.tokenize("Bad.<br /><br />Really <i>bad</i>"))
                .containsExactly("bad", ".", "really", "bad");
    }

    @Test
    void shouldKeepComparisonsThatAreNotTags() {
        assertThat(tokenizer.tokenize("a < b")).containsExactly("a", "<", "b");
    }

    @Test
    void shouldDecodeNamedAndNumericEntities() {
        assertThat(tokenizer.tokenize("Tom &amp; Jerry &#8230; &#x263A; &quot;ok&quot;"))
                .containsExactly("tom", "&", "jerry", "…", "☺", "\"", "ok", "\"");
    }

    @Test
    void shouldTreatNelAndOtherControlCharactersAsSpaces() {
        assertThat(tokenizer.tokenize("good\u0085bad\u0096worse\tend\u2028x"))
                .containsExactly("good", "bad", "worse", "end", "x");
    }

    @Test
    void shouldKeepInnerApostrophesInWords() {
        assertThat(tokenizer.tokenize("I don’t think 'so' isn't"))
                .containsExactly("i", "don't", "think", "'", "so", "'", "isn't");
    }

    @Test
    void shouldGiveNoTokensForEmptyOrBlankText() {
        assertThat(tokenizer.tokenize("")).isEmpty();
        assertThat(tokenizer.tokenize(" \t\u0085<br />")).isEmpty();
    }

    @Test
    void shouldCutVeryLongReviewsAtMaxLength() {
        String longReview = "word ".repeat(100_000) + "tail";
        List<String> tokens = new Tokenizer(7).tokenize(longReview);
        assertThat(tokens).hasSize(7).containsOnly("word");
    }

    @Test
    void shouldNotCountAWordTwiceWhenCutAtTheEnd() {
        assertThat(new Tokenizer(2).tokenize("one two three")).containsExactly("one", "two");
        assertThat(new Tokenizer(2).tokenize("one, two")).containsExactly("one", ",");
    }

    @Test
    void shouldRefuseANonPositiveMaxLength() {
        assertThatThrownBy(() -> new Tokenizer(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
