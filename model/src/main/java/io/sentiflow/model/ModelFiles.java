package io.sentiflow.model;

import java.nio.file.Path;

/** The files of a model directory. */
public final class ModelFiles {
    /** DJL writes the weights as {@code textcnn-0000.params}. */
    public static final String WEIGHTS_NAME = "textcnn";

    /** The one epoch number a model's weights file carries. */
    public static final int WEIGHTS_EPOCH = 0;

    public static final String WEIGHTS_FILE = WEIGHTS_NAME + "-0000.params";
    public static final String VOCABULARY_FILE = "vocab.txt";

    private ModelFiles() {}

    public static Path weights(Path directory) {
        return directory.resolve(WEIGHTS_FILE);
    }

    public static Path vocabulary(Path directory) {
        return directory.resolve(VOCABULARY_FILE);
    }
}
