package io.sentiflow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sentiflow} command line: demo, train, produce, tail and job. */
@Command(
        name = "sentiflow",
        mixinStandardHelpOptions = true,
        version = "sentiflow 0.1.0",
        description =
                "Streaming sentiment classification: Kafka in, a TextCNN in Flink, Kafka out.",
        subcommands = {
            DemoCommand.class,
            TrainCommand.class,
            EmbeddingsCommand.class,
            ProduceCommand.class,
            TailCommand.class,
            JobCommand.class,
            BenchCommand.class,
            EvaluateCommand.class,
            DataCommand.class,
            ModelsCommand.class,
            KeysCommand.class,
            ControlCommand.class,
            ConsoleCommand.class,
            TopicsCommand.class,
            KafkaCommand.class,
            ClusterCommand.class,
            SubmitCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Sentiflow implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Sentiflow())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(
                        (failure, commandLine, parseResult) -> {
                            // A clear one-line error for the user; the stack trace only on request.
                            commandLine
                                    .getErr()
                                    .println(
                                            "sentiflow "
                                                    + commandLine.getCommandName()
                                                    + ": "
                                                    + describe(failure));
                            if (Boolean.getBoolean("sentiflow.debug")) {
                                failure.printStackTrace(commandLine.getErr());
                            }
                            commandLine.getErr().flush();
                            return 1;
                        });
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage() != null ? failure.getMessage() : failure.toString();
        Throwable cause = failure.getCause();
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += " (" + cause.getMessage() + ")";
        }
        return message;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
