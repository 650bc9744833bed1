package io.sentiflow.job;

/** Text from outside made safe to log: control characters replaced, length bounded. */
final class Sanitized {
    /** The most characters of an outside id put in a log line or message. */
    static final int MAX_ID_CHARS = 80;

    private Sanitized() {}

    /** {@code value} with every control character (line breaks included) as '?', cut at 80. */
    static String id(String value) {
        return text(value, MAX_ID_CHARS);
    }

    /** {@code value} with every control character as '?', cut at {@code max} characters. */
    static String text(String value, int max) {
        if (value == null) {
            return "(none)";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), max + 1));
        for (int i = 0; i < value.length() && out.length() < max; i++) {
            char c = value.charAt(i);
            out.append(
                    Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                            ? '?'
                            : c);
        }
        if (value.length() > max) {
            out.append('…');
        }
        return out.toString();
    }
}
