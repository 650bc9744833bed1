package io.sentiflow.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Chooses where a model lives: {@code auto} (a GPU when the engine sees one), {@code cpu}, {@code
 * gpu}.
 */
public final class Devices {
    private Devices() {}

    /**
     * The device for a choice.
     *
     * @param choice {@code auto}, {@code cpu} or {@code gpu}
     * @param gpuIndex the GPU to use when a GPU is chosen
     * @throws IllegalArgumentException for an unknown choice, or {@code gpu} on a machine the
     *     engine sees no GPU on
     */
    public static Device select(String choice, int gpuIndex) {
        int gpus = Engine.getInstance().getGpuCount();
        switch (choice.toLowerCase(Locale.ROOT)) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new IllegalArgumentException(
                            "device gpu requested, but the PyTorch engine sees no GPU "
                                    + "(CUDA natives missing or no driver)");
                }
                return Device.gpu(Math.floorMod(gpuIndex, gpus));
            case "auto":
                return gpus > 0 ? Device.gpu(Math.floorMod(gpuIndex, gpus)) : Device.cpu();
            default:
                throw new IllegalArgumentException(
                        "device must be auto, cpu or gpu, got '" + choice + "'");
        }
    }
}
