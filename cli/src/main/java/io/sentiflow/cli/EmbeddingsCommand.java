package io.sentiflow.cli;

import io.sentiflow.model.Tokenizer;
import io.sentiflow.model.data.Datasets;
import io.sentiflow.model.data.LabeledText;
import io.sentiflow.model.embedding.SkipGram;
import io.sentiflow.model.embedding.WordVectors;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sentiflow embeddings}: skip-gram word vectors from unlabelled review text, for {@code
 * train --embeddings}.
 */
@Command(
        name = "embeddings",
        mixinStandardHelpOptions = true,
        description = {
            "Learn word vectors (skip-gram with negative sampling, as word2vec) from review text, for train --embeddings.",
            "Reads the text of IMDB CSV, the aclImdb folder or .tar.gz, MR rt-polarity files or JSON lines; labels are ignored.",
            "Writes word2vec's binary format when the output ends in .bin, else its text format."
        })
public final class EmbeddingsCommand implements Callable<Integer> {
    @Option(names = "--corpus", required = true, description = "Text to learn from (repeatable).")
    List<Path> corpus;

    @Option(names = "--output", required = true, description = "Word-vector file to write.")
    Path output;

    @Option(
            names = "--dimension",
            defaultValue = "300",
            description =
                    "Vector width; must equal train's --embedding-size (default: ${DEFAULT-VALUE}).")
    int dimension;

    @Option(
            names = "--epochs",
            defaultValue = "5",
            description = "Passes over the text (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--window",
            defaultValue = "5",
            description = "Largest context window on either side (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(
            names = "--negatives",
            defaultValue = "5",
            description = "Noise words per pair (default: ${DEFAULT-VALUE}).")
    int negatives;

    @Option(
            names = "--min-count",
            defaultValue = "2",
            description =
                    "Fewest occurrences for a word to get a vector (default: ${DEFAULT-VALUE}).")
    int minCount;

    @Option(
            names = "--max-words",
            defaultValue = "200000",
            description = "Most words, the most frequent first (default: ${DEFAULT-VALUE}).")
    int maxWords;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (minCount < 1 || maxWords < 1) {
            throw new IllegalArgumentException("--min-count and --max-words must be positive");
        }
        // Checked before the text is read.
        SkipGram skipGram = new SkipGram(dimension, window, negatives, epochs, seed);
        Tokenizer tokenizer = new Tokenizer(Integer.MAX_VALUE);
        List<List<String>> documents = new ArrayList<>();
        long tokens = 0;
        for (Path file : corpus) {
            List<LabeledText> rows = Datasets.read(file, "train");
            for (LabeledText row : rows) {
                List<String> document = tokenizer.tokenize(row.text());
                tokens += document.size();
                documents.add(document);
            }
            out.printf(Locale.ROOT, "read %d texts from %s%n", rows.size(), file);
        }
        out.printf(Locale.ROOT, "%d texts, %d tokens%n", documents.size(), tokens);
        WordVectors vectors = WordVectors.learn(documents, minCount, maxWords, skipGram, out);
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        vectors.save(output);
        out.printf(
                Locale.ROOT,
                "%d word vectors of width %d written to %s (%d bytes)%n",
                vectors.size(),
                vectors.dimension(),
                output,
                Files.size(output));
        return 0;
    }
}
