package io.sentiflow.model;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token ↔ id mapping: {@link #PAD} = 0, {@link #UNK} = 1, then tokens by descending frequency (ties
 * alphabetical, so a build is reproducible). Saved as one token per line, line number = id.
 */
public final class Vocabulary {
    public static final int PAD = 0;
    public static final int UNK = 1;
    public static final String PAD_TOKEN = "<pad>";
    public static final String UNK_TOKEN = "<unk>";

    private final List<String> tokens;
    private final Map<String, Integer> ids;

    private Vocabulary(List<String> tokens) {
        if (tokens.size() < 2
                || !PAD_TOKEN.equals(tokens.get(PAD))
                || !UNK_TOKEN.equals(tokens.get(UNK))) {
            throw new IllegalArgumentException("a vocabulary starts with <pad> and <unk>");
        }
        this.tokens = List.copyOf(tokens);
        this.ids = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.put(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("duplicate token at line " + (i + 1));
            }
        }
    }

    /**
     * Builds a vocabulary from tokenized documents.
     *
     * @param minFrequency tokens seen fewer times are left out (they map to UNK)
     * @param maxSize the most entries, PAD and UNK included
     */
    public static Vocabulary build(
            Iterable<List<String>> documents, int minFrequency, int maxSize) {
        if (maxSize < 3) {
            throw new IllegalArgumentException("maxSize must be >= 3, got " + maxSize);
        }
        Map<String, Integer> counts = new HashMap<>();
        for (List<String> document : documents) {
            for (String token : document) {
                counts.merge(token, 1, Integer::sum);
            }
        }
        List<String> tokens = new ArrayList<>(List.of(PAD_TOKEN, UNK_TOKEN));
        counts.entrySet().stream()
                .filter(e -> e.getValue() >= minFrequency)
                .filter(e -> !e.getKey().equals(PAD_TOKEN) && !e.getKey().equals(UNK_TOKEN))
                .sorted(
                        Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                                .thenComparing(Map.Entry.comparingByKey()))
                .limit(maxSize - 2L)
                .forEach(e -> tokens.add(e.getKey()));
        return new Vocabulary(tokens);
    }

    public static Vocabulary load(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            return new Vocabulary(lines);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid vocabulary " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses vocabulary bytes (one UTF-8 token per line); {@code source} names them in errors. */
    public static Vocabulary parse(byte[] bytes, String source) throws IOException {
        String text =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .decode(java.nio.ByteBuffer.wrap(bytes))
                        .toString();
        List<String> lines = new java.util.ArrayList<>(text.lines().toList());
        try {
            return new Vocabulary(lines);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid vocabulary " + source + ": " + e.getMessage(), e);
        }
    }

    public void save(Path file) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String token : tokens) {
                out.write(token);
                out.write('\n');
            }
        }
    }

    public int size() {
        return tokens.size();
    }

    public int id(String token) {
        return ids.getOrDefault(token, UNK);
    }

    public String token(int id) {
        return tokens.get(id);
    }

    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    /** The ids of a token sequence; unknown tokens become {@link #UNK}. */
    public int[] encode(List<String> sequence) {
        int[] encoded = new int[sequence.size()];
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = id(sequence.get(i));
        }
        return encoded;
    }
}
