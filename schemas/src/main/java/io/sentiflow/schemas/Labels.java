package io.sentiflow.schemas;

/** The two sentiment labels on the wire, and the score threshold between them. */
public final class Labels {
    public static final String POSITIVE = "positive";
    public static final String NEGATIVE = "negative";

    private Labels() {}

    public static boolean isValid(String label) {
        return POSITIVE.equals(label) || NEGATIVE.equals(label);
    }

    /** The label for P(positive): positive from 0.5 up. */
    public static String forScore(double score) {
        return score >= 0.5 ? POSITIVE : NEGATIVE;
    }
}
