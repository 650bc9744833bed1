package io.sentiflow.model.eval;

import io.sentiflow.model.TrainingResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG pictures of training and evaluation. */
public final class Charts {
    private Charts() {}

    /** Loss and accuracy by epoch, training against validation. */
    public static void trainingCurve(List<TrainingResult.Epoch> epochs, Path file)
            throws IOException {
        XYSeries trainLoss = new XYSeries("training loss");
        XYSeries validationLoss = new XYSeries("validation loss");
        XYSeries trainAccuracy = new XYSeries("training accuracy");
        XYSeries validationAccuracy = new XYSeries("validation accuracy");
        for (TrainingResult.Epoch e : epochs) {
            trainLoss.add(e.number(), e.trainLoss());
            validationLoss.add(e.number(), e.validationLoss());
            trainAccuracy.add(e.number(), e.trainAccuracy());
            validationAccuracy.add(e.number(), e.validationAccuracy());
        }
        NumberAxis epochAxis = new NumberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.add(lines(new NumberAxis("loss"), trainLoss, validationLoss));
        plot.add(lines(new NumberAxis("accuracy"), trainAccuracy, validationAccuracy));
        ChartUtils.saveChartAsPNG(file.toFile(), new JFreeChart("Training curve", plot), 900, 700);
    }

    /** The confusion matrix beside the ROC curve. */
    public static void evaluation(Evaluation evaluation, RocCurve roc, Path file)
            throws IOException {
        XYSeries curve =
                new XYSeries(
                        "ROC (AUC " + String.format(Locale.ROOT, "%.4f", roc.auc()) + ")", false);
        for (int i = 0; i < roc.falsePositiveRates().length; i++) {
            curve.add(roc.falsePositiveRates()[i], roc.truePositiveRates()[i]);
        }
        XYSeries chance = new XYSeries("chance");
        chance.add(0, 0);
        chance.add(1, 1);
        XYPlot rocPlot = lines(new NumberAxis("true positive rate"), curve, chance);
        rocPlot.setDomainAxis(new NumberAxis("false positive rate"));
        BufferedImage rocImage = new JFreeChart("ROC curve", rocPlot).createBufferedImage(600, 600);

        BufferedImage image = new BufferedImage(1100, 600, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(
                RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.drawImage(rocImage, 500, 0, null);
        drawConfusion(g, evaluation);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void drawConfusion(Graphics2D g, Evaluation e) {
        long[][] cells = {
            {e.trueNegatives(), e.falsePositives()}, {e.falseNegatives(), e.truePositives()}
        };
        long max =
                Math.max(
                        1,
                        Math.max(
                                Math.max(cells[0][0], cells[0][1]),
                                Math.max(cells[1][0], cells[1][1])));
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString("Confusion matrix", 140, 50);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString("predicted negative", 120, 110);
        g.drawString("predicted positive", 290, 110);
        String[] rows = {"true negative", "true positive"};
        for (int r = 0; r < 2; r++) {
            g.setColor(Color.BLACK);
            g.drawString(rows[r], 10, 195 + r * 170);
            for (int c = 0; c < 2; c++) {
                int shade = 255 - (int) (180 * cells[r][c] / (double) max);
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(110 + c * 170, 120 + r * 170, 160, 160);
                g.setColor(Color.BLACK);
                g.setStroke(new BasicStroke(1));
                g.drawRect(110 + c * 170, 120 + r * 170, 160, 160);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
                g.drawString(String.valueOf(cells[r][c]), 160 + c * 170, 205 + r * 170);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            }
        }
        g.drawString(
                String.format(
                        Locale.ROOT,
                        "accuracy %.4f   F1 %.4f   ECE %.4f   n = %d",
                        e.accuracy(),
                        e.f1(),
                        e.expectedCalibrationError(),
                        e.count()),
                20,
                500);
    }

    private static XYPlot lines(NumberAxis range, XYSeries... series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (XYSeries s : series) {
            data.addSeries(s);
        }
        range.setAutoRangeIncludesZero(false);
        XYPlot plot =
                new XYPlot(data, new NumberAxis(), range, new XYLineAndShapeRenderer(true, true));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
