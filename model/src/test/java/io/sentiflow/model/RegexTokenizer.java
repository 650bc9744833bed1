package io.sentiflow.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tokenizer as it was written first, with regular expressions: kept in the tests as the
 * reference the hand-written {@link Tokenizer} must agree with, token for token.
 *
 * <p>Rules: HTML tags such as {@code <br />} become spaces and entities are decoded; text is
 * lower-cased; runs of letters and digits (with inner apostrophes, as in {@code don't}) are words;
 * every other visible character is a token of its own; whitespace and control characters (including
 * U+0085, which Unicode treats as a line break) only separate tokens. At most {@code maxLength}
 * tokens are kept, from the start of the review.
 */
final class RegexTokenizer {
    private static final Pattern TAG = Pattern.compile("<\\s*/?\\s*[a-zA-Z][^<>]{0,200}>");
    private static final Pattern ENTITY =
            Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,7});");
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

    private final int maxLength;

    RegexTokenizer(int maxLength) {
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
        String withoutTags = TAG.matcher(text).replaceAll(" ");
        Matcher entity = ENTITY.matcher(withoutTags);
        return entity.replaceAll(match -> Matcher.quoteReplacement(decode(match.group(1))));
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

    /** The tokens of a review, at most {@link #maxLength()} of them. */
    public List<String> tokenize(String text) {
        String clean = stripMarkup(text).toLowerCase(Locale.ROOT);
        List<String> tokens = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        int length = clean.length();
        for (int i = 0; i < length && tokens.size() < maxLength; ) {
            int cp = clean.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) {
                word.appendCodePoint(cp);
            } else if (isApostrophe(cp)
                    && word.length() > 0
                    && next < length
                    && Character.isLetter(clean.codePointAt(next))) {
                word.append('\'');
            } else {
                flush(word, tokens);
                if (!isSeparator(cp) && tokens.size() < maxLength) {
                    tokens.add(isApostrophe(cp) ? "'" : Character.toString(cp));
                }
            }
            i = next;
        }
        if (tokens.size() < maxLength) {
            flush(word, tokens);
        }
        return tokens;
    }

    private static void flush(StringBuilder word, List<String> tokens) {
        if (word.length() > 0) {
            tokens.add(word.toString());
            word.setLength(0);
        }
    }

    private static boolean isApostrophe(int cp) {
        return cp == '\'' || cp == '’';
    }

    private static boolean isSeparator(int cp) {
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
