package io.sentiflow.cli;

import io.sentiflow.local.KafkaBrokerProcess;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sentiflow kafka start|stop}: a single-node KRaft broker in a process of its own on this
 * machine, for trying the cluster path ({@code sentiflow cluster}) without a Kafka installation.
 */
@Command(
        name = "kafka",
        mixinStandardHelpOptions = true,
        description = {
            "A local Kafka broker (KRaft, single node) in a process of its own, on 127.0.0.1,",
            "keeping its data in --dir between starts. For trying things out; never for production."
        },
        subcommands = {KafkaCommand.Start.class, KafkaCommand.Stop.class})
public final class KafkaCommand implements Runnable {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Where {
        @Option(
                names = "--dir",
                defaultValue = ".sentiflow/kafka",
                description = "The broker's data and log (default: ${DEFAULT-VALUE}).")
        Path directory;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start the broker.")
    static final class Start implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin Where where;

        @Option(
                names = "--port",
                defaultValue = "9092",
                description = "Client port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
        int port;

        @Override
        public Integer call() throws Exception {
            var running = KafkaBrokerProcess.running(where.directory.toAbsolutePath());
            if (running.isPresent()) {
                throw new IllegalStateException(
                        "a broker already runs from " + where.directory + " at " + running.get());
            }
            KafkaBrokerProcess broker =
                    KafkaBrokerProcess.startKept(where.directory.toAbsolutePath(), port);
            var out = spec.commandLine().getOut();
            out.println("Kafka: " + broker.bootstrapServers() + " (log: " + where.directory + ")");
            out.println(
                    "next: ./sentiflow topics create --bootstrap.servers "
                            + broker.bootstrapServers());
            out.flush();
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the broker.")
    static final class Stop implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin Where where;

        @Override
        public Integer call() throws Exception {
            boolean stopped = KafkaBrokerProcess.stop(where.directory.toAbsolutePath());
            spec.commandLine().getOut().println(stopped ? "stopped" : "no broker was running");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
