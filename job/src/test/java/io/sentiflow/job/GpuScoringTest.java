package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.sentiflow.model.Devices;
import io.sentiflow.model.SentimentScorer;
import io.sentiflow.model.data.LabeledText;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loading onto a real GPU; where the engine sees none, JUnit reports it skipped with the reason.
 */
class GpuScoringTest {

    @Test
    void aModelOnTheGpuShouldScoreLikeTheSameModelOnTheCpu() throws Exception {
        assumeTrue(
                Engine.getInstance().getGpuCount() > 0,
                "skipped: the PyTorch engine sees no GPU here (CPU-only libtorch from pytorch-native-cpu,"
                        + " or no CUDA device); run with DJL's CUDA natives on a GPU machine");
        List<String> texts =
                TestModel.imdb().sample("test", 64, 3).stream().map(LabeledText::text).toList();
        Device gpu = Devices.select("gpu", 0);
        assertThat(gpu.isGpu()).isTrue();
        try (SentimentScorer onCpu = SentimentScorer.load(TestModel.directory(), Device.cpu());
                SentimentScorer onGpu = SentimentScorer.load(TestModel.directory(), gpu)) {
            assertThat(onGpu.device()).isEqualTo(gpu);
            float[] expected = onCpu.scoreTexts(texts);
            float[] actual = onGpu.scoreTexts(texts);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).isCloseTo(expected[i], within(1e-3f));
            }
        }
    }

    @Test
    void autoShouldFallBackToTheCpuWhereThereIsNoGpu() {
        assumeTrue(Engine.getInstance().getGpuCount() == 0, "skipped: this machine has a GPU");
        assertThat(Devices.select("auto", 3)).isEqualTo(Device.cpu());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Devices.select("gpu", 0))
                .hasMessageContaining("sees no GPU");
    }
}
