package io.sentiflow.cli;

import io.sentiflow.model.data.DatasetFormat;
import io.sentiflow.model.data.LabeledText;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** How {@code sentiflow data} commands read their input: the format and, for aclImdb, the split. */
public final class InputFormat {
    @Option(
            names = "--format",
            description = "IMDB_CSV, ACL_IMDB, MR or JSONL (default: from the name).")
    DatasetFormat format;

    @Option(
            names = "--split",
            defaultValue = "train",
            description = "train or test, for aclImdb (default: ${DEFAULT-VALUE}).")
    String split;

    List<LabeledText> read(Path input) throws Exception {
        return DataCommand.read(input, format, split);
    }
}
