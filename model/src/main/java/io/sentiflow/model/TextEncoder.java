package io.sentiflow.model;

import java.util.Arrays;

/** Review text → token ids: the {@link Tokenizer} followed by the {@link Vocabulary}. */
public final class TextEncoder {
    private final Tokenizer tokenizer;
    private final Vocabulary vocabulary;

    public TextEncoder(Tokenizer tokenizer, Vocabulary vocabulary) {
        this.tokenizer = tokenizer;
        this.vocabulary = vocabulary;
    }

    /**
     * The ids of a review's tokens, at most the tokenizer's maximum length of them: tokenized and
     * looked up in one pass, without a String per token.
     */
    public int[] encode(String text) {
        Ids ids = new Ids(tokenizer.maxLength());
        tokenizer.scan(text, ids);
        return ids.toArray();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** Collects the ids of the tokens the tokenizer hands out. */
    private final class Ids implements Tokenizer.TokenSink {
        private final int max;
        private int[] ids;
        private int count;

        Ids(int max) {
            this.max = max;
            this.ids = new int[Math.min(max, 64)];
        }

        @Override
        public void token(char[] chars, int start, int length) {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, Math.min(max, ids.length * 2));
            }
            ids[count++] = vocabulary.id(chars, start, length);
        }

        int[] toArray() {
            return count == ids.length ? ids : Arrays.copyOf(ids, count);
        }
    }
}
