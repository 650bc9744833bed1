package io.sentiflow.job;

import java.util.List;
import java.util.OptionalInt;

/**
 * Which GPU a parallel instance uses: instance i takes the i-th (modulo their count) of the GPU
 * indices Flink's GPU external resource gave its TaskManager.
 */
public final class DeviceAssignment {
    private DeviceAssignment() {}

    /**
     * @param gpuIndices the {@code index} properties of {@code getExternalResourceInfos("gpu")}, in
     *     any order
     * @param subtask the instance's subtask index
     * @return the GPU index to use, or empty when no GPU resource is configured
     */
    public static OptionalInt gpuIndex(List<String> gpuIndices, int subtask) {
        if (gpuIndices.isEmpty()) {
            return OptionalInt.empty();
        }
        List<Integer> sorted =
                gpuIndices.stream().map(String::trim).map(Integer::valueOf).sorted().toList();
        return OptionalInt.of(sorted.get(Math.floorMod(subtask, sorted.size())));
    }
}
