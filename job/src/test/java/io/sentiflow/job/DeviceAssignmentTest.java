package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceAssignmentTest {
    @Test
    void instanceIShouldTakeTheIthGpuModuloTheirCount() {
        List<String> gpus = List.of("3", "1");
        assertThat(DeviceAssignment.gpuIndex(gpus, 0)).hasValue(1);
        assertThat(DeviceAssignment.gpuIndex(gpus, 1)).hasValue(3);
        assertThat(DeviceAssignment.gpuIndex(gpus, 2)).hasValue(1);
        assertThat(DeviceAssignment.gpuIndex(gpus, 5)).hasValue(3);
    }

    @Test
    void noGpuResourceShouldMeanNoGpuIndex() {
        assertThat(DeviceAssignment.gpuIndex(List.of(), 0)).isEmpty();
    }
}
