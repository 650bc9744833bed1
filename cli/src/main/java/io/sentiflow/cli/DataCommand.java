package io.sentiflow.cli;

import io.sentiflow.model.Tokenizer;
import io.sentiflow.model.data.DatasetCleaner;
import io.sentiflow.model.data.DatasetFormat;
import io.sentiflow.model.data.DatasetWriter;
import io.sentiflow.model.data.Datasets;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.data.Splits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sentiflow data}: inspect, clean, split and convert labelled datasets. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description =
                "Check, clean, split and convert labelled review datasets (IMDB CSV, aclImdb, MR, JSON lines).",
        subcommands = {
            DataCommand.Inspect.class,
            DataCommand.Clean.class,
            DataCommand.Split.class,
            DataCommand.Convert.class
        })
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static List<LabeledText> read(Path input, DatasetFormat format, String split) throws Exception {
        return Datasets.read(input, format != null ? format : DatasetFormat.detect(input), split);
    }

    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description = "Counts per label, duplicates, lengths and encoding problems.")
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "INPUT")
        Path input;

        @Mixin InputFormat inputFormat = new InputFormat();

        @Override
        public Integer call() throws Exception {
            List<LabeledText> rows = inputFormat.read(input);
            long positive = rows.stream().filter(LabeledText::positive).count();
            Set<String> distinct = new HashSet<>();
            int duplicates = 0;
            int markup = 0;
            int control = 0;
            int replacement = 0;
            int empty = 0;
            List<Integer> lengths = new ArrayList<>();
            Tokenizer tokenizer = new Tokenizer(Integer.MAX_VALUE);
            for (LabeledText row : rows) {
                String text = row.text();
                duplicates += distinct.add(text) ? 0 : 1;
                markup += Tokenizer.stripMarkup(text).equals(text) ? 0 : 1;
                control +=
                        text.chars()
                                        .anyMatch(
                                                c ->
                                                        Character.getType(c) == Character.CONTROL
                                                                && c != '\t')
                                ? 1
                                : 0;
                replacement += text.indexOf('\uFFFD') >= 0 ? 1 : 0;
                empty += text.isBlank() ? 1 : 0;
                lengths.add(tokenizer.tokenize(text).size());
            }
            lengths.sort(null);
            System.out.printf(
                    Locale.ROOT,
                    "%s: %d rows, %d positive, %d negative%n",
                    input,
                    rows.size(),
                    positive,
                    rows.size() - positive);
            System.out.printf(
                    Locale.ROOT,
                    "duplicates: %d extra copies (%d distinct texts); empty: %d%n",
                    duplicates,
                    distinct.size(),
                    empty);
            if (!lengths.isEmpty()) {
                System.out.printf(
                        Locale.ROOT,
                        "tokens per row: min %d, median %d, mean %.0f, p95 %d, max %d%n",
                        lengths.get(0),
                        lengths.get(lengths.size() / 2),
                        lengths.stream().mapToInt(i -> i).average().orElse(0),
                        lengths.get((int) (lengths.size() * 0.95)),
                        lengths.get(lengths.size() - 1));
            }
            System.out.printf(
                    Locale.ROOT,
                    "rows with HTML markup or entities: %d; with control characters (e.g. U+0085): %d; with U+FFFD: %d%n",
                    markup,
                    control,
                    replacement);
            return 0;
        }
    }

    @Command(
            name = "clean",
            mixinStandardHelpOptions = true,
            description =
                    "Clean rows rule by rule, drop empties, duplicates and test leakage, and report each rule.")
    static final class Clean implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "INPUT")
        Path input;

        @Option(
                names = "--output",
                required = true,
                description = "Output file, .jsonl or .csv (optionally .gz).")
        Path output;

        @Option(
                names = "--test",
                description = "Test set: training rows whose text is in it are dropped.")
        Path test;

        @Mixin InputFormat inputFormat = new InputFormat();

        @Override
        public Integer call() throws Exception {
            List<LabeledText> rows = inputFormat.read(input);
            List<LabeledText> testRows = test == null ? List.of() : read(test, null, "test");
            DatasetCleaner.Result result = DatasetCleaner.clean(rows, testRows);
            DatasetWriter.write(result.rows(), output);
            DatasetCleaner.Report r = result.report();
            System.out.printf(
                    Locale.ROOT,
                    "read %d rows; markup removed in %d, control characters replaced in %d, whitespace normalised in %d%n",
                    r.input(),
                    r.markupChanged(),
                    r.controlCharactersChanged(),
                    r.whitespaceChanged());
            System.out.printf(
                    Locale.ROOT,
                    "dropped %d empty, %d duplicates (%d texts with conflicting labels), %d also in the test set; wrote %d rows to %s%n",
                    r.emptyDropped(),
                    r.duplicatesDropped(),
                    r.conflictingLabels(),
                    r.leakedDropped(),
                    r.output(),
                    output);
            return 0;
        }
    }

    @Command(
            name = "split",
            mixinStandardHelpOptions = true,
            description = "Seeded, stratified train/validation split, or k folds.")
    static final class Split implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "INPUT")
        Path input;

        @Option(
                names = "--output-dir",
                required = true,
                description = "Folder for train.jsonl and validation.jsonl (or fold-i/).")
        Path outputDir;

        @Option(
                names = "--validation-fraction",
                defaultValue = "0.2",
                description = "Share of each label held out (default: ${DEFAULT-VALUE}).")
        double fraction;

        @Option(names = "--folds", description = "Write this many stratified folds instead.")
        Integer folds;

        @Option(
                names = "--seed",
                defaultValue = "42",
                description = "Seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Mixin InputFormat inputFormat = new InputFormat();

        @Override
        public Integer call() throws Exception {
            List<LabeledText> rows = inputFormat.read(input);
            if (folds != null) {
                List<Splits.Split> parts = Splits.folds(rows, folds, seed);
                for (int i = 0; i < parts.size(); i++) {
                    Path folder = outputDir.resolve("fold-" + (i + 1));
                    DatasetWriter.write(parts.get(i).train(), folder.resolve("train.jsonl"));
                    DatasetWriter.write(
                            parts.get(i).validation(), folder.resolve("validation.jsonl"));
                }
                System.out.printf(
                        Locale.ROOT,
                        "wrote %d folds of %d rows to %s%n",
                        folds,
                        rows.size(),
                        outputDir);
            } else {
                Splits.Split parts = Splits.stratified(rows, fraction, seed);
                DatasetWriter.write(parts.train(), outputDir.resolve("train.jsonl"));
                DatasetWriter.write(parts.validation(), outputDir.resolve("validation.jsonl"));
                System.out.printf(
                        Locale.ROOT,
                        "train: %d rows, validation: %d rows, in %s%n",
                        parts.train().size(),
                        parts.validation().size(),
                        outputDir);
            }
            return 0;
        }
    }

    @Command(
            name = "convert",
            mixinStandardHelpOptions = true,
            description = "Convert between formats; writes .jsonl or .csv (optionally .gz).")
    static final class Convert implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "INPUT")
        Path input;

        @Parameters(index = "1", paramLabel = "OUTPUT")
        Path output;

        @Mixin InputFormat inputFormat = new InputFormat();

        @Override
        public Integer call() throws Exception {
            List<LabeledText> rows = inputFormat.read(input);
            DatasetWriter.write(rows, output);
            System.out.printf(Locale.ROOT, "wrote %d rows to %s%n", rows.size(), output);
            return 0;
        }
    }
}
