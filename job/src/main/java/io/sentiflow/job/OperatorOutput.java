package io.sentiflow.job;

import io.sentiflow.schemas.Sentiment;
import org.apache.flink.util.OutputTag;

/**
 * Where the parts of {@link ScoreBatch} write: its main output and its side outputs. The operator
 * passes its own output; tests collect the records.
 */
interface OperatorOutput {
    void sentiment(Sentiment sentiment);

    <T> void side(OutputTag<T> tag, T value);
}
