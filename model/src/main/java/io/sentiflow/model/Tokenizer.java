package io.sentiflow.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns review text into word and punctuation tokens; the one implementation shared by training and
 * the streaming job, so both see identical ids for the same text.
 *
 * <p>Rules: HTML tags such as {@code <br />} ({@code <}, optional {@code /}, a letter, up to 200
 * characters other than {@code <} and {@code >}, then {@code >}) become spaces and entities are
 * decoded; text is lower-cased; runs of letters and digits (with inner apostrophes, as in {@code
 * don't}) are words; every other visible character is a token of its own; whitespace and control
 * characters (including U+0085, which Unicode treats as a line break) only separate tokens. At most
 * {@code maxLength} tokens are kept, from the start of the review.
 *
 * <p>A hand-written scan, not regular expressions: it runs once per review on the streaming path.
 * The tests check it token for token against the first, regular-expression version on every IMDB
 * and MR review. {@link #scan} hands tokens out as slices of a reused buffer, so a caller that only
 * looks them up (as {@link TextEncoder} does) allocates no string per token.
 */
public final class Tokenizer {
    private static final int MAX_TAG_BODY = 200;
    private static final Map<String, String> NAMED_ENTITIES =
            Map.ofEntries(
                    Map.entry("amp", "&"),
                    Map.entry("lt", "<"),
                    Map.entry("gt", ">"),
                    Map.entry("quot", "\""),
                    Map.entry("apos", "'"),
                    Map.entry("nbsp", " "),
                    Map.entry("hellip", "…"),
                    Map.entry("mdash", "—"),
                    Map.entry("ndash", "–"),
                    Map.entry("lsquo", "‘"),
                    Map.entry("rsquo", "’"),
                    Map.entry("ldquo", "“"),
                    Map.entry("rdquo", "”"));

    /** Receives each token as a slice of a buffer that is reused: copy what you keep. */
    @FunctionalInterface
    public interface TokenSink {
        void token(char[] chars, int start, int length);
    }

    private final int maxLength;

    public Tokenizer(int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        }
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /** Markup removed and entities decoded; case and spacing untouched. */
    public static String stripMarkup(String text) {
        int first = firstMarkupCandidate(text, 0);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        out.append(text, 0, first);
        int length = text.length();
        int i = first;
        while (i < length) {
            char c = text.charAt(i);
            if (c == '<') {
                int end = tagEnd(text, i);
                if (end > 0) {
                    out.append(' ');
                    i = end;
                    continue;
                }
            } else if (c == '&') {
                int end = entityEnd(text, i);
                if (end > 0) {
                    out.append(decode(text.substring(i + 1, end - 1)));
                    i = end;
                    continue;
                }
            }
            int next = firstMarkupCandidate(text, i + 1);
            int stop = next < 0 ? length : next;
            out.append(text, i, stop);
            i = stop;
        }
        return out.toString();
    }

    private static int firstMarkupCandidate(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '<' || c == '&') {
                return i;
            }
        }
        return -1;
    }

    private static boolean isRegexSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHexDigit(char c) {
        return isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** The index after a tag starting at {@code start} (a {@code <}), or -1 when none starts. */
    private static int tagEnd(String text, int start) {
        int length = text.length();
        int i = start + 1;
        while (i < length && isRegexSpace(text.charAt(i))) {
            i++;
        }
        if (i < length && text.charAt(i) == '/') {
            i++;
        }
        while (i < length && isRegexSpace(text.charAt(i))) {
            i++;
        }
        if (i >= length || !isAsciiLetter(text.charAt(i))) {
            return -1;
        }
        int limit = Math.min(length, i + 1 + MAX_TAG_BODY + 1);
        for (int j = i + 1; j < limit; j++) {
            char c = text.charAt(j);
            if (c == '>') {
                return j + 1;
            }
            if (c == '<') {
                return -1;
            }
        }
        return -1;
    }

    /** The index after an entity starting at {@code start} (a {@code &}), or -1. */
    private static int entityEnd(String text, int start) {
        int length = text.length();
        int i = start + 1;
        if (i >= length) {
            return -1;
        }
        char c = text.charAt(i);
        if (c == '#') {
            i++;
            if (i < length && (text.charAt(i) == 'x' || text.charAt(i) == 'X')) {
                int digits = i + 1;
                int end = digits;
                while (end < length && end - digits < 6 && isHexDigit(text.charAt(end))) {
                    end++;
                }
                if (end > digits && end < length && text.charAt(end) == ';') {
                    return end + 1;
                }
            }
            int end = i;
            while (end < length && end - i < 7 && isAsciiDigit(text.charAt(end))) {
                end++;
            }
            return end > i && end < length && text.charAt(end) == ';' ? end + 1 : -1;
        }
        if (!isAsciiLetter(c)) {
            return -1;
        }
        int end = i + 1;
        while (end < length
                && end - i < 8
                && (isAsciiLetter(text.charAt(end)) || isAsciiDigit(text.charAt(end)))) {
            end++;
        }
        return end - i >= 2 && end < length && text.charAt(end) == ';' ? end + 1 : -1;
    }

    private static String decode(String entity) {
        try {
            if (entity.startsWith("#x") || entity.startsWith("#X")) {
                return codePointOrSpace(Integer.parseInt(entity.substring(2), 16));
            }
            if (entity.startsWith("#")) {
                return codePointOrSpace(Integer.parseInt(entity.substring(1)));
            }
        } catch (NumberFormatException e) {
            return " ";
        }
        String named = NAMED_ENTITIES.get(entity.toLowerCase(Locale.ROOT));
        return named != null ? named : "&" + entity + ";";
    }

    private static String codePointOrSpace(int codePoint) {
        return Character.isValidCodePoint(codePoint) ? Character.toString(codePoint) : " ";
    }

    private static final Tokenizer FIRST_TOKEN = new Tokenizer(1);

    /** Whether a review has at least one token: some text left once markup is removed. */
    public static boolean hasToken(String text) {
        return FIRST_TOKEN.scan(text, (chars, start, length) -> {}) > 0;
    }

    /** The tokens of a review, at most {@link #maxLength()} of them. */
    public List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        scan(text, (chars, start, length) -> tokens.add(new String(chars, start, length)));
        return tokens;
    }

    /**
     * Hands each token of a review, at most {@link #maxLength()} of them, to {@code sink}, and
     * returns how many there were.
     */
    public int scan(String text, TokenSink sink) {
        String clean = stripMarkup(text).toLowerCase(Locale.ROOT);
        char[] word = new char[32];
        char[] single = new char[2];
        int wordLength = 0;
        int count = 0;
        int length = clean.length();
        for (int i = 0; i < length && count < maxLength; ) {
            char c = clean.charAt(i);
            int cp;
            int next;
            if (c < 0x80) {
                // ASCII: the common case, decided without Character's tables.
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                    if (wordLength == word.length) {
                        word = java.util.Arrays.copyOf(word, word.length * 2);
                    }
                    word[wordLength++] = c;
                    i++;
                    continue;
                }
                cp = c;
                next = i + 1;
            } else {
                cp = clean.codePointAt(i);
                next = i + Character.charCount(cp);
                if (Character.isLetterOrDigit(cp)) {
                    if (wordLength + 2 > word.length) {
                        word = java.util.Arrays.copyOf(word, word.length * 2);
                    }
                    wordLength += Character.toChars(cp, word, wordLength);
                    i = next;
                    continue;
                }
            }
            if (isApostrophe(cp)
                    && wordLength > 0
                    && next < length
                    && Character.isLetter(clean.codePointAt(next))) {
                if (wordLength == word.length) {
                    word = java.util.Arrays.copyOf(word, word.length * 2);
                }
                word[wordLength++] = '\'';
            } else {
                if (wordLength > 0) {
                    sink.token(word, 0, wordLength);
                    wordLength = 0;
                    count++;
                }
                if (!isSeparator(cp) && count < maxLength) {
                    int n =
                            isApostrophe(cp)
                                    ? single(single, '\'')
                                    : Character.toChars(cp, single, 0);
                    sink.token(single, 0, n);
                    count++;
                }
            }
            i = next;
        }
        if (wordLength > 0 && count < maxLength) {
            sink.token(word, 0, wordLength);
            count++;
        }
        return count;
    }

    private static int single(char[] buffer, char c) {
        buffer[0] = c;
        return 1;
    }

    private static boolean isApostrophe(int cp) {
        return cp == '\'' || cp == '’';
    }

    private static boolean isSeparator(int cp) {
        if (cp == ' ') {
            return true;
        }
        if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL
                || type == Character.FORMAT
                || type == Character.UNASSIGNED
                || type == Character.PRIVATE_USE
                || type == Character.SURROGATE;
    }
}
