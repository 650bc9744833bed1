package io.sentiflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The sweep as pictures: the job's throughput by batch size beside the model alone's (the bound),
 * on a base-2 axis labelled 1, 2, 4, … 128; and the throughput by minimum delay at batch 64.
 */
final class BenchPlot {
    private BenchPlot() {}

    static void write(JsonNode results, Path file) throws IOException {
        XYSeries job = new XYSeries("the job end to end (adaptive batching)");
        XYSeries model = new XYSeries("the model alone (the bound)");
        XYSeries byDelay = new XYSeries("the job at batch 64, by minimum delay");
        for (JsonNode point : results.path("sweep")) {
            if (point.path("delayMs").asLong() == 0) {
                job.add(point.path("batchSize").asInt(), point.path("perSecond").asDouble());
            }
            if (point.path("batchSize").asInt() == Benchmark.DEFAULT_SIZE) {
                byDelay.add(point.path("delayMs").asLong(), point.path("perSecond").asDouble());
            }
        }
        results.path("raw")
                .fields()
                .forEachRemaining(
                        e -> model.add(Integer.parseInt(e.getKey()), e.getValue().asDouble()));

        LogAxis sizes = new LogAxis("batch.max-size");
        sizes.setBase(2);
        sizes.setTickUnit(new NumberTickUnit(1));
        sizes.setNumberFormatOverride(new DecimalFormat("0"));
        XYSeriesCollection bySize = new XYSeriesCollection(job);
        bySize.addSeries(model);
        XYPlot sizePlot = plot(bySize, sizes);
        sizePlot.getRenderer()
                .setSeriesStroke(
                        1,
                        new BasicStroke(
                                2f,
                                BasicStroke.CAP_BUTT,
                                BasicStroke.JOIN_MITER,
                                1f,
                                new float[] {6f, 4f},
                                0f));
        ChartUtils.saveChartAsPNG(
                file.toFile(),
                new JFreeChart("Sentiflow: reviews/s by batch size", sizePlot),
                900,
                550);
        Path delayFile =
                file.resolveSibling(file.getFileName().toString().replace(".png", "-delay.png"));
        ChartUtils.saveChartAsPNG(
                delayFile.toFile(),
                new JFreeChart(
                        "Sentiflow: reviews/s by minimum delay (0 = adaptive)",
                        plot(
                                new XYSeriesCollection(byDelay),
                                new NumberAxis("batch.max-delay-ms"))),
                900,
                550);
    }

    private static XYPlot plot(XYSeriesCollection series, org.jfree.chart.axis.ValueAxis x) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, Color.BLUE);
        renderer.setSeriesPaint(1, Color.GRAY);
        NumberAxis y = new NumberAxis("reviews/s");
        y.setNumberFormatOverride(new DecimalFormat("#,##0"));
        XYPlot plot = new XYPlot(series, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
