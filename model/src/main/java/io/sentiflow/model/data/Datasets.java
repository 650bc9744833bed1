package io.sentiflow.model.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Reads any supported dataset layout into labelled reviews. */
public final class Datasets {
    private Datasets() {}

    /**
     * Reads {@code path}.
     *
     * @param split for layouts that hold several splits (aclImdb): {@code train} or {@code test};
     *     ignored by the others
     */
    public static List<LabeledText> read(Path path, DatasetFormat format, String split)
            throws IOException {
        return switch (format) {
            case IMDB_CSV -> ImdbCsvReader.read(path);
            case ACL_IMDB -> AclImdbReader.read(path, split);
            case MR -> MrReader.read(path);
            case JSONL -> JsonLinesReader.read(path);
        };
    }

    public static List<LabeledText> read(Path path, String split) throws IOException {
        return read(path, DatasetFormat.detect(path), split);
    }
}
