package io.sentiflow.model;

/** Review text → token ids: the {@link Tokenizer} followed by the {@link Vocabulary}. */
public final class TextEncoder {
    private final Tokenizer tokenizer;
    private final Vocabulary vocabulary;

    public TextEncoder(Tokenizer tokenizer, Vocabulary vocabulary) {
        this.tokenizer = tokenizer;
        this.vocabulary = vocabulary;
    }

    public int[] encode(String text) {
        return vocabulary.encode(tokenizer.tokenize(text));
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }
}
