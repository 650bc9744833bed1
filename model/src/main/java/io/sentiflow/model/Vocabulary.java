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

    /** Open addressing over the tokens, for look-ups of a char slice without a String or boxing. */
    private final String[] slotTokens;

    private final int[] slotIds;
    private final int[] slotHashes;
    private final int mask;

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
        int capacity = Integer.highestOneBit(Math.max(4, tokens.size() * 2 - 1)) * 2;
        slotTokens = new String[capacity];
        slotIds = new int[capacity];
        slotHashes = new int[capacity];
        mask = capacity - 1;
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            int slot = spread(token.hashCode()) & mask;
            while (slotTokens[slot] != null) {
                slot = (slot + 1) & mask;
            }
            slotTokens[slot] = token;
            slotIds[slot] = i;
            slotHashes[slot] = token.hashCode();
        }
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }

    /**
     * The id of the token {@code chars[start, start + length)}, or {@link #UNK}: the same as {@link
     * #id(String)}, without making a String.
     */
    public int id(char[] chars, int start, int length) {
        int hash = 0;
        for (int i = start; i < start + length; i++) {
            hash = 31 * hash + chars[i];
        }
        int slot = spread(hash) & mask;
        for (String token = slotTokens[slot]; token != null; token = slotTokens[slot]) {
            // The full hash first: most slots on the way differ in it.
            if (slotHashes[slot] == hash
                    && token.length() == length
                    && matches(token, chars, start)) {
                return slotIds[slot];
            }
            slot = (slot + 1) & mask;
        }
        return UNK;
    }

    private static boolean matches(String token, char[] chars, int start) {
        for (int i = 0; i < token.length(); i++) {
            if (token.charAt(i) != chars[start + i]) {
                return false;
            }
        }
        return true;
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
