package io.sentiflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.List;

/** Whether arrays hold only finite numbers: no NaN, no ±∞. */
final class Finite {
    private Finite() {}

    /**
     * Whether every value of the arrays is finite: their sum is, exactly when none is NaN or ±∞
     * (barring a sum past 3.4e38, which only weights already diverged could reach). One pass and
     * one number per array; the sums live in {@code scratch}.
     */
    static boolean all(List<NDArray> arrays, NDManager scratch) {
        for (NDArray array : arrays) {
            NDArray sum = array.sum();
            sum.attach(scratch);
            if (!Float.isFinite(sum.toType(DataType.FLOAT32, false).getFloat())) {
                return false;
            }
        }
        return true;
    }

    /** The name of the first initialized parameter holding a NaN or ±∞, or null when none does. */
    static String firstNonFinite(PairList<String, Parameter> parameters, NDManager scratch) {
        for (Pair<String, Parameter> parameter : parameters) {
            Parameter value = parameter.getValue();
            if (value.isInitialized() && !all(List.of(value.getArray()), scratch)) {
                return parameter.getKey();
            }
        }
        return null;
    }
}
