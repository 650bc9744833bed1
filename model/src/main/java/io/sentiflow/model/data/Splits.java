package io.sentiflow.model.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Seeded, stratified splits: the same seed and rows give the same split on every machine. */
public final class Splits {
    private Splits() {}

    /** A training part and a held-out part. */
    public record Split(List<LabeledText> train, List<LabeledText> validation) {}

    /** Holds out {@code fraction} of each label's rows, chosen with {@code seed}. */
    public static Split stratified(List<LabeledText> rows, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1), got " + fraction);
        }
        List<LabeledText> train = new ArrayList<>();
        List<LabeledText> validation = new ArrayList<>();
        for (List<LabeledText> label : byLabel(rows, seed)) {
            int held = (int) Math.round(label.size() * fraction);
            validation.addAll(label.subList(0, held));
            train.addAll(label.subList(held, label.size()));
        }
        Collections.shuffle(train, new Random(seed + 1));
        Collections.shuffle(validation, new Random(seed + 2));
        return new Split(train, validation);
    }

    /** {@code k} stratified folds: fold i holds out every k-th row of each shuffled label. */
    public static List<Split> folds(List<LabeledText> rows, int k, long seed) {
        if (k < 2) {
            throw new IllegalArgumentException("need at least 2 folds, got " + k);
        }
        List<List<LabeledText>> labels = byLabel(rows, seed);
        List<Split> folds = new ArrayList<>();
        for (int fold = 0; fold < k; fold++) {
            List<LabeledText> train = new ArrayList<>();
            List<LabeledText> validation = new ArrayList<>();
            for (List<LabeledText> label : labels) {
                for (int i = 0; i < label.size(); i++) {
                    (i % k == fold ? validation : train).add(label.get(i));
                }
            }
            Collections.shuffle(train, new Random(seed + 10 + fold));
            folds.add(new Split(train, validation));
        }
        return folds;
    }

    private static List<List<LabeledText>> byLabel(List<LabeledText> rows, long seed) {
        List<LabeledText> positive = new ArrayList<>();
        List<LabeledText> negative = new ArrayList<>();
        for (LabeledText row : rows) {
            (row.positive() ? positive : negative).add(row);
        }
        Collections.shuffle(positive, new Random(seed));
        Collections.shuffle(negative, new Random(seed + 7));
        return List.of(negative, positive);
    }
}
