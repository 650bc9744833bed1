package io.sentiflow.job;

import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/**
 * Every log event of Kafka, Flink and Sentiflow at INFO and above, while open: their formatted
 * messages (and thrown exception, if any) in order. For tests of what is and is not logged.
 */
final class LogCapture extends AbstractAppender implements AutoCloseable {
    private static final List<String> LOGGERS =
            List.of("org.apache.kafka", "kafka", "org.apache.flink", "io.sentiflow");
    private final List<String> lines;

    LogCapture(List<String> lines) {
        super("test-capture", null, null, true, Property.EMPTY_ARRAY);
        this.lines = lines;
        start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        configuration.addAppender(this);
        configuration.getRootLogger().addAppender(this, Level.INFO, null);
        for (String name : LOGGERS) {
            configuration.getLoggerConfig(name).setLevel(Level.INFO);
        }
        context.updateLoggers();
    }

    @Override
    public void append(LogEvent event) {
        lines.add(
                event.getMessage().getFormattedMessage()
                        + (event.getThrown() == null ? "" : " " + event.getThrown()));
    }

    @Override
    public void close() {
        // Back to the test logging configuration as the file declares it.
        ((LoggerContext) LogManager.getContext(false)).reconfigure();
        stop();
    }
}
