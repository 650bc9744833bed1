package io.sentiflow.model.data;

import io.sentiflow.model.Tokenizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Cleans a labelled dataset rule by rule and reports what each rule changed: HTML markup removed
 * and entities decoded; control characters (U+0085 among them — a line break to Unicode, so never a
 * row separator) made spaces; whitespace collapsed and trimmed; rows left empty dropped; exact
 * duplicates dropped (the first kept); rows whose text is also in the test set dropped (leakage).
 */
public final class DatasetCleaner {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private DatasetCleaner() {}

    /** What each rule did. */
    public record Report(
            int input,
            int markupChanged,
            int controlCharactersChanged,
            int whitespaceChanged,
            int emptyDropped,
            int duplicatesDropped,
            int conflictingLabels,
            int leakedDropped,
            int output) {}

    /** The cleaned rows and the report. */
    public record Result(List<LabeledText> rows, Report report) {}

    /** The text after markup, control-character and whitespace rules. */
    public static String cleanText(String text) {
        return collapseWhitespace(replaceControlCharacters(Tokenizer.stripMarkup(text)));
    }

    static String replaceControlCharacters(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int type = Character.getType(c);
            boolean control =
                    type == Character.CONTROL
                            || type == Character.FORMAT
                            || type == Character.LINE_SEPARATOR
                            || type == Character.PARAGRAPH_SEPARATOR;
            if (control && c != ' ') {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append(' ');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    static String collapseWhitespace(String text) {
        return WHITESPACE.matcher(text).replaceAll(" ").strip();
    }

    /**
     * Cleans {@code rows}; rows whose cleaned text is in {@code testTexts} (cleaned the same way)
     * are dropped as leakage.
     */
    public static Result clean(List<LabeledText> rows, Collection<LabeledText> test) {
        Set<String> testTexts = new HashSet<>();
        for (LabeledText row : test) {
            testTexts.add(cleanText(row.text()));
        }
        int markup = 0;
        int control = 0;
        int whitespace = 0;
        int empty = 0;
        int duplicates = 0;
        int leaked = 0;
        Map<String, Boolean> seen = new HashMap<>();
        Set<String> conflicting = new HashSet<>();
        List<LabeledText> kept = new ArrayList<>();
        for (LabeledText row : rows) {
            String text = row.text();
            String afterMarkup = Tokenizer.stripMarkup(text);
            markup += afterMarkup.equals(text) ? 0 : 1;
            String afterControl = replaceControlCharacters(afterMarkup);
            control += afterControl.equals(afterMarkup) ? 0 : 1;
            String cleaned = collapseWhitespace(afterControl);
            whitespace += cleaned.equals(afterControl) ? 0 : 1;
            if (cleaned.isEmpty()) {
                empty++;
                continue;
            }
            Boolean label = seen.putIfAbsent(cleaned, row.positive());
            if (label != null) {
                duplicates++;
                if (label != row.positive()) {
                    conflicting.add(cleaned);
                }
                continue;
            }
            if (testTexts.contains(cleaned)) {
                leaked++;
                continue;
            }
            kept.add(new LabeledText(cleaned, row.positive()));
        }
        Report report =
                new Report(
                        rows.size(),
                        markup,
                        control,
                        whitespace,
                        empty,
                        duplicates,
                        conflicting.size(),
                        leaked,
                        kept.size());
        return new Result(kept, report);
    }
}
