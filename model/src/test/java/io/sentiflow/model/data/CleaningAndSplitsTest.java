package io.sentiflow.model.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class CleaningAndSplitsTest {

    @Test
    void eachCleaningRuleShouldChangeWhatItNamesAndBeCounted() {
        List<LabeledText> rows =
                List.of(
                        new LabeledText("Good.<br /><br />Great &amp; fun", true),
                        new LabeledText(
                                "line\u0085break and tab\there",
                                false), // a tab is a control character too
                        new LabeledText("  spaced   out  ", true),
                        new LabeledText("<br />", false),
                        new LabeledText("plain", true));
        DatasetCleaner.Result result = DatasetCleaner.clean(rows, List.of());
        assertThat(result.rows())
                .extracting(LabeledText::text)
                .containsExactly(
                        "Good. Great & fun", "line break and tab here", "spaced out", "plain");
        DatasetCleaner.Report report = result.report();
        assertThat(report.markupChanged()).isEqualTo(2);
        assertThat(report.controlCharactersChanged()).isEqualTo(1);
        assertThat(report.whitespaceChanged()).isEqualTo(3);
        assertThat(report.emptyDropped()).isEqualTo(1);
        assertThat(report.output()).isEqualTo(4);
    }

    @Test
    void duplicatesShouldBeDroppedAndConflictsCounted() {
        List<LabeledText> rows =
                List.of(
                        new LabeledText("same text", true),
                        new LabeledText("same  text", true),
                        new LabeledText("same text", false),
                        new LabeledText("other", false));
        DatasetCleaner.Report report = DatasetCleaner.clean(rows, List.of()).report();
        assertThat(report.duplicatesDropped()).isEqualTo(2);
        assertThat(report.conflictingLabels()).isEqualTo(1);
        assertThat(report.output()).isEqualTo(2);
    }

    @Test
    void trainingRowsAlsoInTheTestSetShouldBeDroppedAsLeakage() {
        List<LabeledText> train =
                List.of(
                        new LabeledText("seen in test<br />", true),
                        new LabeledText("only in train", false));
        List<LabeledText> test = List.of(new LabeledText("seen in test", true));
        DatasetCleaner.Result result = DatasetCleaner.clean(train, test);
        assertThat(result.report().leakedDropped()).isEqualTo(1);
        assertThat(result.rows()).containsExactly(new LabeledText("only in train", false));
    }

    private static List<LabeledText> rows(int positives, int negatives) {
        List<LabeledText> rows = new ArrayList<>();
        for (int i = 0; i < positives; i++) {
            rows.add(new LabeledText("p" + i, true));
        }
        for (int i = 0; i < negatives; i++) {
            rows.add(new LabeledText("n" + i, false));
        }
        return rows;
    }

    @Test
    void aStratifiedSplitShouldKeepTheLabelBalanceAndBeReproducible() {
        List<LabeledText> rows = rows(600, 400);
        Splits.Split split = Splits.stratified(rows, 0.2, 42);
        assertThat(split.validation()).hasSize(200);
        assertThat(split.validation().stream().filter(LabeledText::positive).count())
                .isEqualTo(120);
        assertThat(split.train()).hasSize(800);
        HashSet<LabeledText> all = new HashSet<>(split.train());
        all.addAll(split.validation());
        assertThat(all).containsExactlyInAnyOrderElementsOf(rows);
        assertThat(Splits.stratified(rows, 0.2, 42).validation())
                .containsExactlyElementsOf(split.validation());
        assertThat(Splits.stratified(rows, 0.2, 43).validation()).isNotEqualTo(split.validation());
    }

    @Test
    void foldsShouldPartitionTheRowsWithBalancedLabels() {
        List<LabeledText> rows = rows(500, 500);
        List<Splits.Split> folds = Splits.folds(rows, 10, 7);
        HashSet<LabeledText> heldOut = new HashSet<>();
        for (Splits.Split fold : folds) {
            assertThat(fold.validation()).hasSize(100);
            assertThat(fold.validation().stream().filter(LabeledText::positive).count())
                    .isEqualTo(50);
            assertThat(fold.train()).hasSize(900).doesNotContainAnyElementsOf(fold.validation());
            heldOut.addAll(fold.validation());
        }
        assertThat(heldOut).hasSize(1000);
    }
}
