package io.sentiflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The sweep as a picture: throughput and p99 latency against batch size and against delay. */
final class BenchPlot {
    private BenchPlot() {}

    static void write(JsonNode results, Path file) throws IOException {
        XYSeries throughputBySize = new XYSeries("reviews/s by batch size (delay 50 ms)");
        XYSeries p99BySize = new XYSeries("p99 ms by batch size");
        XYSeries throughputByDelay = new XYSeries("reviews/s by delay (batch 64)");
        XYSeries p99ByDelay = new XYSeries("p99 ms by delay");
        for (JsonNode point : results.path("sweep")) {
            int size = point.path("batchSize").asInt();
            long delay = point.path("delayMs").asLong();
            if (delay == 50) {
                throughputBySize.add(size, point.path("perSecond").asDouble());
                p99BySize.add(size, point.path("p99Ms").asDouble());
            }
            if (size == 64) {
                throughputByDelay.add(delay, point.path("perSecond").asDouble());
                p99ByDelay.add(delay, point.path("p99Ms").asDouble());
            }
        }
        CombinedDomainXYPlot bySize = new CombinedDomainXYPlot(new LogAxis("batch.max-size"));
        bySize.add(plot(throughputBySize, "reviews/s"));
        bySize.add(plot(p99BySize, "p99 latency at half load, ms"));
        ChartUtils.saveChartAsPNG(
                file.toFile(),
                new JFreeChart("Sentiflow: throughput and latency by batch size", bySize),
                900,
                700);
        CombinedDomainXYPlot byDelay =
                new CombinedDomainXYPlot(new NumberAxis("batch.max-delay-ms"));
        byDelay.add(plot(throughputByDelay, "reviews/s"));
        byDelay.add(plot(p99ByDelay, "p99 latency at half load, ms"));
        Path delayFile =
                file.resolveSibling(file.getFileName().toString().replace(".png", "-delay.png"));
        ChartUtils.saveChartAsPNG(
                delayFile.toFile(),
                new JFreeChart("Sentiflow: throughput and latency by delay", byDelay),
                900,
                700);
    }

    private static XYPlot plot(XYSeries series, String label) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, Color.BLUE);
        XYPlot plot =
                new XYPlot(new XYSeriesCollection(series), null, new NumberAxis(label), renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
